locals {
  x = format("%y", 1)
}

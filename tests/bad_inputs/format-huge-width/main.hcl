locals {
  x = format("%999999999999d", 1)
}

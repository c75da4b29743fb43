locals {
  x = "café"
}

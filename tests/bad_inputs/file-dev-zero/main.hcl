locals {
  x = file("/dev/zero")
}

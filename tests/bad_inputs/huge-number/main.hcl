locals {
  x = 1e999999 * 10
}

locals {
  x = frobnicate("a")
}

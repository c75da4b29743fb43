locals {
  x = lower("a", "b")
}

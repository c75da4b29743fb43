locals {
  x = ["a"][5]
}

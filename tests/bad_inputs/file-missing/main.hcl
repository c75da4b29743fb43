locals {
  x = file("nope.txt")
}

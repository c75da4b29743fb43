locals {
  x = length(12)
}

variable "token" {
  sensitive = true
}
variable "other" {
  default = "x"
}

variable "token" {
  sensitive = true
}
}

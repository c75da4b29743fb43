variable "token" {
  sensitive = true
}

page "shard" {
  count        = "3"
  page_id      = "10710000000000${count.index}"
  access_token = var.token
}

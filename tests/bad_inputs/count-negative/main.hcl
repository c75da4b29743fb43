variable "token" {
  sensitive = true
}

variable "shards" {
  default = -1
}

page "shard" {
  count        = var.shards
  page_id      = "10710000000000${count.index}"
  access_token = var.token
}

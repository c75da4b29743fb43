variable "token" {
  sensitive = true
}

variable "shards" {}

page "shard" {
  # Known only once the variable is set: count needs it now.
  count        = var.shards
  page_id      = "10710000000000${count.index}"
  access_token = var.token
}

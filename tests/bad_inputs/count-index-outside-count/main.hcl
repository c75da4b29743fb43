variable "token" {
  sensitive = true
}

page "shard" {
  page_id      = "107100000000001"
  name         = "Shard ${count.index}"
  access_token = var.token
}

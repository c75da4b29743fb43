variable "token" {
  sensitive = true
}

page "shard" {
  count        = 3
  page_id      = each.key
  access_token = var.token
}

variable "token" {
  sensitive = true
}

page "shard" {
  count        = 2
  page_id      = "10710000000000${count.index}"
  access_token = var.token
}

link "bot" {
  page        = page.shard["0"].page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}

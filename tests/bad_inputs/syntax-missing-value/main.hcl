page "a" {
  page_id = 
}

locals {
   ψ0000000
output "import_url" {
  description = "POST /import, inside the VPC (the execute-api endpoint's private DNS)."
  value       = module.imports.import_url
}

output "vpc_endpoint_import_urls" {
  description = "POST /import through the VPC endpoint's own DNS name, by endpoint id."
  value       = module.imports.vpc_endpoint_import_urls
}

output "bucket_name" {
  description = "Bucket receiving the imports."
  value       = module.imports.bucket_name
}

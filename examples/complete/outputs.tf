output "import_url" {
  description = "POST here (with a Cognito token) to get a signed upload."
  value       = module.imports.import_url
}

output "bucket_name" {
  description = "Bucket that receives the uploads."
  value       = module.imports.bucket_name
}

output "openapi_document" {
  description = "The API's rendered OpenAPI document."
  value       = module.imports.openapi_document
}

output "imported_queue_url" {
  description = "SQS queue receiving an EventBridge \"Object Created\" event for every completed import."
  value       = aws_sqs_queue.imported.id
}

output "import_url" {
  description = "POST here (with a Cognito token) to get a signed upload."
  value       = module.imports.import_url
}

output "api_keys" {
  description = "Each consumer's API key (x-api-key, the CLI's --api-key), by consumer. Sensitive: `terraform output -json api_keys`."
  value       = module.imports.api_keys
  sensitive   = true
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
  description = "SQS queue receiving GuardDuty's scan result event for every import found clean (readable from then on)."
  value       = aws_sqs_queue.imported.id
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = module.imports.rest_api_id
}

output "stage_name" {
  description = "Name of the API's stage."
  value       = module.imports.stage_name
}

output "user_pool_id" {
  description = "Cognito user pool whose ID tokens the API accepts."
  value       = aws_cognito_user_pool.users.id
}

output "lambda_function_name" {
  description = "Name of the signer function."
  value       = module.imports.lambda_function_name
}

output "lambda_log_group_name" {
  description = "The signer's log group."
  value       = module.imports.lambda_log_group_name
}

output "access_log_group_name" {
  description = "The stage's access log group (one JSON line per request)."
  value       = module.imports.access_log_group_name
}

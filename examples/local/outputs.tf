output "import_url" {
  description = "URL of POST /import as it would be in AWS (the local gateway serves the same paths)."
  value       = module.imports.import_url
}

output "stage_name" {
  description = "Stage name; the local gateway serves /<stage>/import."
  value       = module.imports.stage_name
}

output "bucket_name" {
  description = "Bucket that receives the uploads."
  value       = module.imports.bucket_name
}

output "key_prefix" {
  description = "Prefix of every uploaded object's key."
  value       = module.imports.key_prefix
}

output "lambda_function_name" {
  description = "Signer function; the local gateway runs its deployed zip in-process."
  value       = module.imports.lambda_function_name
}

output "lambda_role_arn" {
  description = "Signer role."
  value       = module.imports.lambda_role_arn
}

output "rest_api_id" {
  description = "REST API id."
  value       = module.imports.rest_api_id
}

output "openapi_document" {
  description = "The rendered OpenAPI document the local gateway routes by."
  value       = module.imports.openapi_document
}

output "object_created_event_pattern" {
  description = "The module's EventBridge pattern for completed imports (moto delivers these events)."
  value       = module.imports.object_created_event_pattern
}

output "api_keys" {
  description = "Each api_consumers entry's API key (x-api-key), by consumer. Sensitive."
  value       = module.imports.api_keys
  sensitive   = true
}

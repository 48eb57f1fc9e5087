output "invoke_url" {
  description = "Base URL of the stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "import_url" {
  description = "Full URL of POST /import: on domain_name when it is set, on the stage's execute-api URL otherwise."
  value       = "${local.api_base_url}${local.import_path}"
}

output "imports_url" {
  description = "Full URL of POST /imports (many single-PUT imports in one call), beside import_url; null when max_imports_per_request is 0."
  value       = var.max_imports_per_request == 0 ? null : "${local.api_base_url}${local.import_path}s"
}

output "regional_domain_name" {
  description = "With domain_name on a REGIONAL API: API Gateway's regional domain name for it, what a DNS record of domain_name must point at (the module creates the alias only with route53_zone_id). Null otherwise."
  value       = local.regional_domain ? aws_api_gateway_domain_name.this[0].regional_domain_name : null
}

output "domain_name_arn" {
  description = "With domain_name: the ARN of its API Gateway domain name. A private one's ends in +<domain name id>: what another account's domain name access association, or an AWS RAM share, names. Null otherwise."
  value       = local.domain_arn
}

output "vpc_endpoint_import_urls" {
  description = "For a PRIVATE API: the URL of POST /import through each VPC endpoint in vpc_endpoint_ids, by endpoint id: API Gateway's per-endpoint DNS name, a public record of the endpoint's private addresses, so it needs no private DNS but answers only from where the endpoint is reachable. Empty for a REGIONAL API."
  value = {
    for id in(local.private ? var.vpc_endpoint_ids : []) :
    id => "https://${aws_api_gateway_rest_api.this.id}-${id}.execute-api.${local.region}.${local.dns_suffix}/${aws_api_gateway_stage.this.stage_name}${local.import_path}"
  }
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_execution_arn" {
  description = "Execution ARN of the REST API, for IAM policies that allow execute-api:Invoke (append /<stage>/POST/import for POST /import only, /<stage>/*/import* for every route)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the API stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the API stage (for WAF associations and the like)."
  value       = aws_api_gateway_stage.this.arn
}

output "bucket_name" {
  description = "Name of the bucket that receives the uploads."
  value       = local.bucket_name
}

output "bucket_arn" {
  description = "ARN of the bucket that receives the uploads."
  value       = local.bucket_arn
}

output "key_prefix" {
  description = "Prefix of every uploaded object's key."
  value       = var.key_prefix
}

output "object_created_event_pattern" {
  description = "EventBridge event pattern (JSON string) matching \"Object Created\" events of this bucket under key_prefix: one per completed import, single PUT or multipart. Use it as an aws_cloudwatch_event_rule's event_pattern. Events flow when eventbridge_notifications is true and the module created the bucket (or the existing bucket's owner sends its events to EventBridge)."
  value = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [local.bucket_name] }
      object = { key = [{ prefix = var.key_prefix }] }
    }
  })
}

output "malware_scan_result_event_pattern" {
  description = "With malware_protection: EventBridge event pattern (JSON string) matching GuardDuty's \"GuardDuty Malware Protection Object Scan Result\" events for this bucket under key_prefix, one per scanned import (detail.scanResultDetails.scanResultStatus is the result). Where to wait for a scan instead of polling GET /import/{id}: an import is safe to read once its event says NO_THREATS_FOUND. Null without malware_protection."
  value = !local.malware_scanning ? null : jsonencode({
    source        = ["aws.guardduty"]
    "detail-type" = ["GuardDuty Malware Protection Object Scan Result"]
    detail = {
      s3ObjectDetails = {
        bucketName = [local.bucket_name]
        objectKey  = [{ prefix = var.key_prefix }]
      }
    }
  })
}

output "malware_protection_plan_arn" {
  description = "ARN of the GuardDuty Malware Protection plan the module created (malware_protection.plan = \"CREATE\"); null otherwise."
  value       = one(aws_guardduty_malware_protection_plan.this[*].arn)
}

output "malware_scan_role_arn" {
  description = "ARN of the role GuardDuty scans and tags the imports with (the module's, or an EXISTING plan's role_arn); null without malware_protection."
  value       = local.scan_role_arn
}

output "lambda_function_name" {
  description = "Name of the signer function."
  value       = aws_lambda_function.signer.function_name
}

output "lambda_function_arn" {
  description = "ARN of the signer function."
  value       = aws_lambda_function.signer.arn
}

output "lambda_alias_arn" {
  description = "ARN of the signer's \"live\" alias, the one API Gateway invokes, when snapstart_enabled is true (it follows each published version); null otherwise, when API Gateway invokes the function itself (lambda_function_arn)."
  value       = var.snapstart_enabled ? aws_lambda_alias.signer[0].arn : null
}

output "lambda_role_arn" {
  description = "ARN of the signer's IAM role."
  value       = aws_iam_role.signer.arn
}

output "lambda_log_group_name" {
  description = "CloudWatch log group of the signer (JSON, one line per request)."
  value       = aws_cloudwatch_log_group.signer.name
}

output "access_log_group_name" {
  description = "CloudWatch log group of the stage's JSON access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "openapi_document" {
  description = "The rendered OpenAPI document the REST API is defined by (JSON string)."
  value       = local.openapi_document
}

output "usage_plan_ids" {
  description = "Id of each usage plan, by its name in usage_plans (e.g. for `aws apigateway get-usage`)."
  value       = { for name, plan in aws_api_gateway_usage_plan.this : name => plan.id }
}

output "api_key_ids" {
  description = "Id of each consumer's API key, by its name in api_consumers."
  value       = { for name, key in aws_api_gateway_api_key.this : name => key.id }
}

output "api_keys" {
  description = "Each consumer's API key, by its name in api_consumers: what it sends in the x-api-key header (the CLI's --api-key or SIGNED_IMPORT_API_KEY). Sensitive."
  value       = { for name, key in aws_api_gateway_api_key.this : name => key.value }
  sensitive   = true
}

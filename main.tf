data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  region     = data.aws_region.current.id # `id` is the region name in provider v5 and v6
  account_id = data.aws_caller_identity.current.account_id
  # kms:ViaService of a call S3 makes to the bucket's key on a role's behalf.
  s3_service_endpoint = "s3.${local.region}.${local.dns_suffix}"

  # Known at plan time whenever bucket_name is given, so policies render before apply.
  bucket_name = var.bucket_name != null ? var.bucket_name : aws_s3_bucket.this[0].id
  bucket_arn  = "arn:${local.partition}:s3:::${local.bucket_name}"
  # Everything the signer may write lives under this ARN pattern and nowhere else.
  objects_arn = "${local.bucket_arn}/${var.key_prefix}*"

  signer_log_group_name = "/aws/lambda/${var.name}"
  signer_log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.signer_log_group_name}"

  import_path = "/import"
  # Where the routes are served: the custom domain (and base path) when set, else the stage.
  api_base_url = (
    local.custom_domain
    ? "https://${var.domain_name}${var.base_path == "" ? "" : "/${var.base_path}"}"
    : aws_api_gateway_stage.this.invoke_url
  )

  # Every route of the API, keyed "<METHOD> <resource path>": the OpenAPI body renders one
  # operation per entry (api.tf) and API Gateway gets one invoke permission per entry (lambda.tf).
  # A route without request_model has no body and validates its parameters only.
  import_routes = {
    "POST /import" = {
      operation_id        = "createImport"
      summary             = "Start an import: sign one PUT, or plan a multipart upload and sign its first parts"
      request_model       = "ImportRequest"
      success_status      = "201"
      success_description = "Import started"
      response_model      = "ImportResponse"
      error_statuses      = ["400", "403", "413", "415", "429", "500", "501", "503"]
    }
    "GET /import/{import_id}" = {
      operation_id        = "getImport"
      summary             = "Status of an import: pending, uploading or complete"
      request_model       = null
      success_status      = "200"
      success_description = "Import status"
      response_model      = "ImportStatus"
      error_statuses      = ["403", "404", "429", "500", "503"]
    }
    "DELETE /import/{import_id}" = {
      operation_id        = "abortImport"
      summary             = "Abort an unfinished import; S3 frees every uploaded part"
      request_model       = null
      success_status      = "204"
      success_description = "Import aborted"
      response_model      = null
      error_statuses      = ["403", "404", "409", "429", "500", "503"]
    }
    "POST /import/{import_id}/parts" = {
      operation_id        = "signParts"
      summary             = "Sign (or sign again) upload URLs for parts of a multipart import"
      request_model       = "SignPartsRequest"
      success_status      = "200"
      success_description = "Parts signed"
      response_model      = "SignPartsResponse"
      error_statuses      = ["400", "403", "404", "409", "413", "415", "429", "500", "503"]
    }
    "GET /import/{import_id}/parts" = {
      operation_id        = "listParts"
      summary             = "Every part S3 holds for a multipart import"
      request_model       = null
      success_status      = "200"
      success_description = "Parts uploaded so far"
      response_model      = "ListPartsResponse"
      error_statuses      = ["403", "404", "409", "429", "500", "503"]
    }
    "POST /import/{import_id}/complete" = {
      operation_id        = "completeImport"
      summary             = "Check the parts against the plan and S3, then assemble the object"
      request_model       = "CompleteRequest"
      success_status      = "200"
      success_description = "Import complete"
      response_model      = "CompleteResponse"
      error_statuses      = ["400", "403", "404", "409", "413", "415", "429", "500", "501", "503"]
    }
  }
  # POST /imports, unless max_imports_per_request is 0.
  batch_routes = {
    "POST /imports" = {
      operation_id        = "createImports"
      summary             = "Start up to max_imports_per_request single-PUT imports in one call, each answered or refused on its own"
      request_model       = "ImportBatchRequest"
      success_status      = "200"
      success_description = "Every item answered, in order: an import (201) or its refusal (4xx)"
      response_model      = "ImportBatchResponse"
      error_statuses      = ["400", "403", "413", "415", "429", "500"]
    }
  }
  api_routes = merge(local.import_routes, var.max_imports_per_request == 0 ? {} : local.batch_routes)

  # What the signer isolates callers by: the identity kind of the authorization type, or "off"
  # when isolation is disabled or there is no caller (NONE).
  caller_isolation_kinds = { AWS_IAM = "iam", COGNITO_USER_POOLS = "cognito", CUSTOM = "custom" }
  caller_isolation       = var.caller_isolation ? lookup(local.caller_isolation_kinds, var.authorization_type, "off") : "off"

  tags = merge(var.tags, { "terraform-module" = "signed-import" })
}

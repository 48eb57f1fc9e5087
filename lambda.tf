################################################################################
# Signer function, from the committed deterministic zip (see README: "Packaging")
################################################################################

locals {
  lambda_package = "${path.module}/dist/signer.zip"

  # With SnapStart, Lambda snapshots published versions only: API Gateway invokes this alias,
  # which each apply moves to the version it published. Without SnapStart, the function itself.
  signer_alias_name = "live"
  signer_invoke_arn = var.snapstart_enabled ? aws_lambda_alias.signer[0].invoke_arn : aws_lambda_function.signer.invoke_arn
}

resource "aws_cloudwatch_log_group" "signer" {
  name              = local.signer_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = local.tags
}

resource "aws_lambda_function" "signer" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a DLQ only serves asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Signing is local computation; the function reaches no private network.
  #checkov:skip=CKV_AWS_272:Lambda enforces code signing only on packages signed by AWS Signer from S3; the module deploys its reviewed, deterministic zip (README: Code signing).
  #checkov:skip=CKV_AWS_173:The environment holds no secrets; a CMK is the lambda_environment_kms_key_arn input.

  function_name                  = var.name
  description                    = "Signs S3 upload URLs for the import API"
  role                           = aws_iam_role.signer.arn
  filename                       = local.lambda_package
  source_code_hash               = filebase64sha256(local.lambda_package)
  handler                        = "signed_import.handler.handler"
  runtime                        = var.lambda_runtime
  architectures                  = [var.lambda_architecture]
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.lambda_reserved_concurrency
  kms_key_arn                    = var.lambda_environment_kms_key_arn
  publish                        = var.snapstart_enabled # true: every code or configuration change publishes a version

  environment {
    variables = merge({
      BUCKET_NAME               = local.bucket_name
      KEY_PREFIX                = var.key_prefix
      ALLOWED_CONTENT_TYPES     = join(",", var.allowed_content_types)
      MAX_UPLOAD_BYTES          = tostring(var.max_upload_bytes)
      URL_EXPIRY_SECONDS        = tostring(var.url_expiry_seconds)
      MULTIPART_ENABLED         = tostring(var.multipart_enabled)
      MULTIPART_THRESHOLD_BYTES = tostring(var.multipart_threshold_bytes)
      CALLER_ISOLATION          = local.caller_isolation # iam, cognito, custom or off
      MAX_IMPORTS_PER_REQUEST   = tostring(var.max_imports_per_request)
      }, length(var.cors_allowed_origins) > 0 ? {
      CORS_ALLOWED_ORIGINS = join(",", var.cors_allowed_origins) # echoed on every response
      } : {}, var.upload_endpoint_url == null ? {} : {
      UPLOAD_ENDPOINT_URL = var.upload_endpoint_url # the host the signed URLs name
      }, local.malware_scanning ? {
      MALWARE_SCANNING = "true" # answers carry the GuardDuty scan result
    } : {})
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.signer.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = var.xray_tracing_enabled ? "Active" : "PassThrough"
  }

  dynamic "snap_start" {
    for_each = var.snapstart_enabled ? [true] : []

    content {
      apply_on = "PublishedVersions"
    }
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.signer, aws_iam_role_policy.signer]
}

# Follows the version the function resource published last (on updates the provider waits for
# that version and its snapshot first). Its ARN never changes, so the API needs no redeployment.
resource "aws_lambda_alias" "signer" {
  count = var.snapstart_enabled ? 1 : 0

  name             = local.signer_alias_name
  description      = "The version API Gateway invokes (SnapStart)"
  function_name    = aws_lambda_function.signer.function_name
  function_version = aws_lambda_function.signer.version
}

resource "aws_lambda_permission" "api_gateway" {
  for_each = local.api_routes

  statement_id  = "AllowApiGateway-${each.value.operation_id}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.signer.function_name
  qualifier     = var.snapstart_enabled ? aws_lambda_alias.signer[0].name : null # what API Gateway invokes
  principal     = "apigateway.amazonaws.com"
  # This API, this stage, this method and this path (any import id): nothing else may invoke the signer.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/${aws_api_gateway_stage.this.stage_name}/${split(" ", each.key)[0]}${replace(split(" ", each.key)[1], "{import_id}", "*")}"
}

# The module against a local AWS emulator (moto_server): what `make demo` and the end-to-end
# tests apply. No AWS account is involved; every endpoint points at var.endpoint.

terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.96, != 6.0.0, != 6.1.0, != 6.2.0, != 6.3.0, < 7.0"
    }
  }
}

provider "aws" {
  region     = "us-east-1"
  access_key = "test"
  secret_key = "test"

  # moto's STS answers with account 123456789012, so ARNs (and the Lambda permission's
  # source_arn) come out complete; only the credential and metadata checks are skipped.
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    apigateway = var.endpoint
    iam        = var.endpoint
    lambda     = var.endpoint
    logs       = var.endpoint
    s3         = var.endpoint
    sts        = var.endpoint
    wafv2      = var.endpoint
  }
}

module "imports" {
  source = "../.."

  name          = var.name
  create_bucket = var.create_bucket
  bucket_name   = var.bucket_name
  force_destroy = true # the demo bucket holds nothing worth keeping

  # moto evaluates bucket policies but ignores their conditions, so the TLS-only Deny and the
  # conditional-writes Deny would refuse every object call. Never turn these off against AWS.
  attach_deny_insecure_transport_policy = false
  enforce_conditional_writes            = false

  allowed_content_types = ["application/octet-stream", "text/csv", "application/json"]
  url_expiry_seconds    = 300

  # Multipart from 16 MiB, so local tests exercise it with small files; at most 1 GiB per import.
  cors_allowed_origins   = var.cors_allowed_origins
  authorization_type     = var.authorization_type
  cognito_user_pool_arns = var.cognito_user_pool_arns
  api_resource_policy    = var.api_resource_policy

  usage_plans = {
    for name, plan in {
      local = {
        description = "Local consumers"
        quota       = { limit = 10000, period = "DAY" }
        throttle    = { rate_limit = 50, burst_limit = 50 }
      }
    } : name => plan if length(var.api_consumers) > 0
  }
  api_consumers = { for consumer in var.api_consumers : consumer => { usage_plan = "local" } }

  multipart_threshold_bytes = 16777216
  max_upload_bytes          = 1073741824

  tags = { environment = "local" }
}

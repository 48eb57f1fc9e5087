# A realistic production setup: Cognito-authorized API, SSE-KMS bucket, browser uploads from
# one origin, imports expiring after 30 days, every completed import announced on an SQS queue
# through EventBridge, the regional API Gateway logging role, and optionally the API on a custom
# domain with its DNS-validated certificate.

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
  region = var.region
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "cors_allowed_origins" {
  description = "Web origins whose pages may call the API and upload to the bucket."
  type        = list(string)
  default     = ["https://orders.example.com"]
  nullable    = false
}

variable "allowed_source_cidrs" {
  description = "Networks allowed to call the API: its resource policy denies requests from every other source address. Narrow it to the partners' ranges."
  type        = list(string)
  default     = ["0.0.0.0/0", "::/0"]
  nullable    = false

  validation {
    condition     = length(var.allowed_source_cidrs) > 0 && alltrue([for cidr in var.allowed_source_cidrs : can(cidrhost(cidr, 0))])
    error_message = "allowed_source_cidrs must list at least one CIDR block, e.g. 203.0.113.0/24."
  }
}

variable "domain_name" {
  description = "Custom domain for the API (e.g. uploads.example.com), in route53_zone_id's public hosted zone: the example requests its certificate, validates it by DNS and creates the alias record. Null: the execute-api URL only."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Public Route 53 hosted zone of domain_name (its certificate's validation records and its alias record). Required with domain_name."
  type        = string
  default     = null

  validation {
    condition     = (var.route53_zone_id == null) == (var.domain_name == null)
    error_message = "domain_name and route53_zone_id go together."
  }
}

data "aws_caller_identity" "current" {}

# API Gateway's resource policy: callers still need a Cognito token; this adds where they may
# call from. With a Cognito authorizer the policy must also allow the call explicitly, or API
# Gateway denies it. "execute-api:/*" is this API (see the module's api_resource_policy).
data "aws_iam_policy_document" "api" {
  statement {
    sid       = "CallersInvoke"
    actions   = ["execute-api:Invoke"]
    resources = ["execute-api:/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }

  statement {
    sid       = "OnlyFromAllowedNetworks"
    effect    = "Deny"
    actions   = ["execute-api:Invoke"]
    resources = ["execute-api:/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NotIpAddress"
      variable = "aws:SourceIp"
      values   = var.allowed_source_cidrs
    }
  }
}

data "aws_iam_policy_document" "imports_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource means this key only; the account root administers it (AWS default).
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource means this key only; the account root administers it (AWS default).
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource means this key only.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncrypts"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "imports" {
  description         = "Encrypts imported objects and the import service's logs"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.imports_key.json
}

# The custom domain's certificate, in the API's region, validated through DNS records in the zone.
resource "aws_acm_certificate" "api" {
  count = var.domain_name == null ? 0 : 1

  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "api_certificate_validation" {
  for_each = {
    for option in flatten(aws_acm_certificate.api[*].domain_validation_options) : option.domain_name => option
  }

  zone_id         = var.route53_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "api" {
  count = var.domain_name == null ? 0 : 1

  certificate_arn         = aws_acm_certificate.api[0].arn
  validation_record_fqdns = [for record in aws_route53_record.api_certificate_validation : record.fqdn]
}

resource "aws_cognito_user_pool" "users" {
  #checkov:skip=CKV_AWS_362:Example pool; production pools carry the organisation's own policies.
  name = "imports-users"
}

module "imports" {
  source = "../.."

  name       = "orders-import"
  key_prefix = "incoming/orders/"

  authorization_type     = "COGNITO_USER_POOLS"
  cognito_user_pool_arns = [aws_cognito_user_pool.users.arn]

  allowed_content_types = ["text/csv", "application/json", "application/gzip"]
  max_upload_bytes      = 2 * 1024 * 1024 * 1024
  url_expiry_seconds    = 600

  kms_key_arn            = aws_kms_key.imports.arn
  logs_kms_key_arn       = aws_kms_key.imports.arn
  object_expiration_days = 30
  cors_allowed_origins   = var.cors_allowed_origins
  api_resource_policy    = data.aws_iam_policy_document.api.json

  throttling_rate_limit      = 20
  throttling_burst_limit     = 40
  manage_api_gateway_account = true

  # Each partner gets an API key on a plan: a quota and a throttle of its own, on top of its
  # Cognito token (the keys meter, the tokens authorize). The api_keys output hands them out.
  usage_plans = {
    partners = {
      description = "Partners: 10,000 API calls a day"
      quota       = { limit = 10000, period = "DAY" }
      throttle    = { rate_limit = 10, burst_limit = 20 }
    }
    evaluation = {
      description = "Evaluation: 50 API calls a day"
      quota       = { limit = 50, period = "DAY" }
      throttle    = { rate_limit = 5, burst_limit = 10 }
    }
  }
  # GuardDuty scans every import; an import can be read only once it is tagged clean.
  malware_protection = {}

  api_consumers = {
    acme-logistics = { usage_plan = "partners", description = "ACME Logistics" }
    evaluation     = { usage_plan = "evaluation", description = "Prospects trying the API" }
  }

  # Null unless var.domain_name is set: then import_url is on the domain.
  domain_name     = var.domain_name
  certificate_arn = one(aws_acm_certificate_validation.api[*].certificate_arn)
  route53_zone_id = var.route53_zone_id

  tags = {
    team        = "data-platform"
    environment = "production"
  }
}

################################################################################
# Every import GuardDuty found clean (single PUT or multipart) lands on a queue: with
# malware_protection an import is readable once scanned, not once created
################################################################################

locals {
  scan_results = jsondecode(module.imports.malware_scan_result_event_pattern)
}

resource "aws_cloudwatch_event_rule" "imported" {
  name        = "orders-import-scanned-clean"
  description = "Imports GuardDuty scanned and found clean"
  event_pattern = jsonencode(merge(local.scan_results, {
    detail = merge(local.scan_results.detail, {
      scanResultDetails = { scanResultStatus = ["NO_THREATS_FOUND"] }
    })
  }))
}

resource "aws_sqs_queue" "imported" {
  name                      = "orders-import-scanned-clean"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

data "aws_iam_policy_document" "imported_queue" {
  statement {
    sid       = "EventBridgeSendsFromTheRule"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.imported.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.imported.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "imported" {
  queue_url = aws_sqs_queue.imported.id
  policy    = data.aws_iam_policy_document.imported_queue.json
}

resource "aws_cloudwatch_event_target" "imported" {
  rule = aws_cloudwatch_event_rule.imported.name
  arn  = aws_sqs_queue.imported.arn

  depends_on = [aws_sqs_queue_policy.imported]
}

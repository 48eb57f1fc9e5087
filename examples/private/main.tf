# A private deployment: the import API is reachable only from inside a VPC, through its
# execute-api interface endpoint, and the uploads go through the VPC's S3 interface endpoint.
# The module makes the API PRIVATE, associates it with the endpoint and writes the resource
# policy that refuses every other source; the signer names the S3 endpoint in its URLs, and the
# bucket refuses signed uploads that do not come through it. Optionally, the API on a private
# custom domain that resolves only inside the VPC.

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

variable "vpc_cidr" {
  description = "Address range of the example's VPC."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a CIDR block, e.g. 10.20.0.0/16."
  }
}

variable "availability_zones" {
  description = "Zones of var.region for the endpoints' subnets, one subnet each (an interface endpoint in two zones stays up when one fails)."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b"]

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must name at least two different zones."
  }
}

variable "domain_name" {
  description = "Private custom domain for the API (e.g. uploads.internal.example.com), resolved only inside the VPC, by a private hosted zone the example creates. Needs certificate_arn. Null: the endpoint URLs only."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate of domain_name in var.region (issued for a domain you own, or imported). Required with domain_name."
  type        = string
  default     = null

  validation {
    condition     = (var.certificate_arn == null) == (var.domain_name == null)
    error_message = "domain_name and certificate_arn go together."
  }
}

# Stands for the VPC the uploading workloads run in: a real one is usually the network team's.
resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:The example's VPC only holds the endpoints; flow logs belong to the owner of a real VPC.
  cidr_block = var.vpc_cidr
  # Private DNS names of interface endpoints need both.
  enable_dns_support   = true
  enable_dns_hostnames = true
}

# No rules: nothing may use the default security group.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "private" {
  count = length(var.availability_zones)

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, count.index)
  availability_zone = var.availability_zones[count.index]
}

resource "aws_security_group" "endpoints" {
  name_prefix = "signed-import-endpoints-"
  description = "HTTPS from inside the VPC to its interface endpoints"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

# With private DNS, https://<api id>.execute-api.<region>.amazonaws.com resolves to this endpoint
# inside the VPC; the module's vpc_endpoint_import_urls work without it.
resource "aws_vpc_endpoint" "execute_api" {
  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.region}.execute-api"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
}

# The uploads' way to S3. Its endpoint-specific DNS names (*.vpce-<id>.s3.<region>.vpce.amazonaws.com)
# resolve from anywhere to the endpoint's private addresses, so no private DNS is needed.
resource "aws_vpc_endpoint" "s3" {
  vpc_id             = aws_vpc.this.id
  service_name       = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type  = "Interface"
  subnet_ids         = aws_subnet.private[*].id
  security_group_ids = [aws_security_group.endpoints.id]
}

data "aws_caller_identity" "current" {}

# The module's log groups (access, execution and the signer's), encrypted with a key of yours.
data "aws_iam_policy_document" "logs_key" {
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

resource "aws_kms_key" "logs" {
  description         = "Encrypts the private import service's logs"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.logs_key.json
}

module "imports" {
  source = "../.."

  name             = "private-imports"
  endpoint_type    = "PRIVATE"
  vpc_endpoint_ids = [aws_vpc_endpoint.execute_api.id]

  # https://bucket.vpce-<id>.s3.<region>.vpce.amazonaws.com: the bucket, path-style, through
  # the endpoint; and nothing written with a signed URL unless it came that way.
  upload_endpoint_url     = "https://bucket${trimprefix(aws_vpc_endpoint.s3.dns_entry[0].dns_name, "*")}"
  upload_vpc_endpoint_ids = [aws_vpc_endpoint.s3.id]

  logs_kms_key_arn = aws_kms_key.logs.arn

  # Null unless var.domain_name is set: then import_url is on the private domain. The zone is
  # created below, in this apply: its record too (the module's route53_zone_id takes a zone that
  # exists at plan time).
  domain_name     = var.domain_name
  certificate_arn = var.certificate_arn
}

# The private domain's name resolves inside the VPC only: a private hosted zone of that name,
# associated with the VPC, with an alias to the execute-api endpoint.
resource "aws_route53_zone" "internal" {
  count = var.domain_name == null ? 0 : 1

  name    = var.domain_name
  comment = "The import API's private custom domain, inside the example's VPC"

  vpc {
    vpc_id = aws_vpc.this.id
  }
}

resource "aws_route53_record" "internal" {
  count = var.domain_name == null ? 0 : 1

  zone_id = aws_route53_zone.internal[0].zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_vpc_endpoint.execute_api.dns_entry[0].dns_name
    zone_id                = aws_vpc_endpoint.execute_api.dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}

################################################################################
# Bucket: private, owner-enforced, encrypted, TLS-only, versioned, self-cleaning
################################################################################

resource "aws_s3_bucket" "this" {
  count = var.create_bucket ? 1 : 0
  #checkov:skip=CKV_AWS_144:Cross-region replication is a consumer's DR choice; imports are re-uploadable from their source.
  #checkov:skip=CKV_AWS_145:SSE-S3 by default; SSE-KMS is the kms_key_arn input.
  #checkov:skip=CKV_AWS_18:Access logging needs a consumer-owned target bucket; it is the access_logging input.
  #checkov:skip=CKV_AWS_143:Object lock would make imports undeletable; not wanted for a staging bucket.

  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? "${substr(var.name, 0, 36)}-" : null # S3 allows 37 characters
  force_destroy = var.force_destroy

  tags = local.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = var.versioning_enabled ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create_bucket ? 1 : 0
  #checkov:skip=CKV_AWS_300:False positive: checkov drops static rules next to a dynamic one; the abort rule below is asserted in tests/defaults.tftest.hcl.

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # With versioning, expiring an import (or deleting it) leaves a delete marker; once its
    # noncurrent versions are gone it marks nothing and would stay forever: remove it.
    expiration {
      expired_object_delete_marker = true
    }
  }

  dynamic "rule" {
    for_each = var.object_expiration_days == null ? [] : [var.object_expiration_days]

    content {
      id     = "expire-imports"
      status = "Enabled"

      filter {
        prefix = var.key_prefix
      }

      expiration {
        days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.create_bucket && var.access_logging != null ? 1 : 0

  bucket        = aws_s3_bucket.this[0].id
  target_bucket = var.access_logging.target_bucket
  target_prefix = var.access_logging.target_prefix
}

resource "aws_s3_bucket_cors_configuration" "this" {
  count = var.create_bucket && length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  cors_rule {
    allowed_methods = ["PUT"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["content-type", "if-none-match", "x-amz-checksum-sha256", "x-amz-checksum-crc64nvme", "x-amz-meta-*"]
    expose_headers  = ["ETag", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha256"]
    max_age_seconds = 3000
  }
}

# Every S3 event of the bucket goes to EventBridge; rules pick what they need, such as the
# object_created_event_pattern output.
resource "aws_s3_bucket_notification" "this" {
  count = var.create_bucket && var.eventbridge_notifications ? 1 : 0

  bucket      = aws_s3_bucket.this[0].id
  eventbridge = true
}

locals {
  # The bucket policy exists when it has a statement: TLS only, conditional writes, or both.
  bucket_policy_needed = var.create_bucket && (var.attach_deny_insecure_transport_policy || var.enforce_conditional_writes || length(var.upload_vpc_endpoint_ids) > 0 || local.block_unscanned)
  # Who may read an import before GuardDuty tagged it clean: the role GuardDuty scans with, and
  # the signer (HeadObject, which s3:GetObject authorizes, for an import's status).
  scan_exempt_role_arns = local.block_unscanned ? [local.scan_role_arn, aws_iam_role.signer.arn] : []

  # Each entry denies every S3 action on the bucket when its condition holds.
  insecure_transport_conditions = {
    DenyInsecureTransport = { test = "Bool", variable = "aws:SecureTransport", values = ["false"] }
    DenyOutdatedTLS       = { test = "NumericLessThan", variable = "s3:TlsVersion", values = ["1.2"] }
  }
}

data "aws_iam_policy_document" "bucket" {
  count = local.bucket_policy_needed ? 1 : 0

  source_policy_documents = concat(
    [for document in data.aws_iam_policy_document.uploads_through_vpc_endpoints : document.json],
    [for document in data.aws_iam_policy_document.scanned_reads_only : document.json],
  )

  dynamic "statement" {
    for_each = var.attach_deny_insecure_transport_policy ? local.insecure_transport_conditions : {}

    content {
      sid       = statement.key
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [local.bucket_arn, "${local.bucket_arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = statement.value.values
      }
    }
  }

  # No overwrite, even with a leaked signer credential: S3's "enforce conditional writes". Every
  # PutObject and CompleteMultipartUpload under the prefix must carry If-None-Match (the signer
  # signs it into each single PUT and sends it with each completion); CreateMultipartUpload and
  # UploadPart, which cannot carry it, are exempt through s3:ObjectCreationOperation.
  dynamic "statement" {
    for_each = var.enforce_conditional_writes ? [true] : []

    content {
      sid       = "DenyUnconditionalWrites"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${local.bucket_arn}/${var.key_prefix}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "Null"
        variable = "s3:if-none-match"
        values   = ["true"]
      }

      condition {
        test     = "Bool"
        variable = "s3:ObjectCreationOperation"
        values   = ["true"]
      }
    }
  }
}

# Uploads only through the listed VPC endpoints. A signed URL authenticates in the query string
# (s3:authType REST-QUERY-STRING); the signer's own calls (CompleteMultipartUpload is a
# PutObject too) authenticate in headers and come from Lambda, outside the VPC, so the
# statement names the query-string kind only. A request from outside an endpoint has no
# aws:SourceVpce, which StringNotEquals counts as not equal: denied.
data "aws_iam_policy_document" "uploads_through_vpc_endpoints" {
  count = length(var.upload_vpc_endpoint_ids) > 0 ? 1 : 0

  statement {
    sid       = "DenySignedUploadsOutsideTheVpcEndpoints"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/${var.key_prefix}*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:authType"
      values   = ["REST-QUERY-STRING"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpce"
      values   = var.upload_vpc_endpoint_ids
    }
  }
}

# AWS's tag-based access control for Malware Protection for S3: an import is readable only once
# GuardDuty tagged it NO_THREATS_FOUND, and only GuardDuty's role sets that tag (on an object,
# or in the upload itself). aws:PrincipalArn is the role's ARN for every session of it. Objects
# stored before the plan scanned anything stay unreadable until scanned on demand.
data "aws_iam_policy_document" "scanned_reads_only" {
  count = local.block_unscanned ? 1 : 0

  statement {
    sid       = "DenyReadsUntilScannedClean"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [local.objects_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:ExistingObjectTag/${local.scan_tag}"
      values   = ["NO_THREATS_FOUND"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.scan_exempt_role_arns
    }
  }

  # Setting the scan tag is GuardDuty's alone. Removing it (a tag set without it, or a delete)
  # fails closed: the import is unreadable again.
  statement {
    sid       = "DenyScanTagsButGuardDutys"
    effect    = "Deny"
    actions   = ["s3:PutObjectTagging", "s3:PutObjectVersionTagging"]
    resources = [local.objects_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "s3:RequestObjectTagKeys"
      values   = [local.scan_tag]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [local.scan_role_arn]
    }
  }

  statement {
    sid       = "DenyUploadsTaggedAsScanned"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = [local.objects_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:RequestObjectTag/${local.scan_tag}"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = local.bucket_policy_needed ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.bucket[0].json

  # S3 rejects a policy while public access settings are still being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

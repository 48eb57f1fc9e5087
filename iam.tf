################################################################################
# Signer role: trusted by Lambda only; reaches objects under key_prefix only
################################################################################

data "aws_iam_policy_document" "signer_trust" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "signer" {
  name                 = "${var.name}-signer"
  description          = "Signs S3 upload URLs for ${var.name}; reaches objects under ${var.key_prefix} only."
  assume_role_policy   = data.aws_iam_policy_document.signer_trust.json
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  # The role is the module's alone: a destroy also removes policies it does not know of, such
  # as one an interrupted apply created but could not record (IAM refuses to delete a role
  # that still has policies).
  force_detach_policies = true

  tags = local.tags
}

data "aws_iam_policy_document" "signer" {
  # A presigned URL carries the signer's permissions, so the role holds only what the routes
  # need, under key_prefix only. PutObject also authorizes CreateMultipartUpload, UploadPart
  # and CompleteMultipartUpload.
  statement {
    sid       = "PutImportedObjects"
    actions   = ["s3:PutObject"]
    resources = [local.objects_arn]
  }

  # HeadObject for an import's status; the signer never signs a GET.
  statement {
    sid       = "ReadImportedObjects"
    actions   = ["s3:GetObject"]
    resources = [local.objects_arn]
  }

  # ListObjectsV2 with Prefix=<one key>, to see whether an import's object exists.
  statement {
    sid       = "ListImportedObjects"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.key_prefix}*"]
    }
  }

  # GetObjectTagging: an import's GuardDuty scan result (malware_protection).
  dynamic "statement" {
    for_each = local.malware_scanning ? [1] : []

    content {
      sid       = "ReadScanResults"
      actions   = ["s3:GetObjectTagging"]
      resources = [local.objects_arn]
    }
  }

  dynamic "statement" {
    for_each = var.multipart_enabled ? [1] : []

    content {
      sid       = "ManageMultipartImports"
      actions   = ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
      resources = [local.objects_arn]
    }
  }

  dynamic "statement" {
    for_each = var.multipart_enabled ? [1] : []

    content {
      # S3 offers no s3:prefix condition for this action; the signer always lists with
      # Prefix=<one key> under key_prefix.
      sid       = "FindMultipartImports"
      actions   = ["s3:ListBucketMultipartUploads"]
      resources = [local.bucket_arn]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.signer_log_group_arn}:*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      # Decrypt: completing a multipart upload reads its encrypted parts.
      sid       = "EncryptImportedObjects"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.s3_service_endpoint]
      }
    }
  }

  dynamic "statement" {
    for_each = var.xray_tracing_enabled ? [1] : []

    content {
      # X-Ray has no resource-level permissions for these actions.
      sid       = "WriteTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "signer" {
  name   = "${var.name}-signer"
  role   = aws_iam_role.signer.id
  policy = data.aws_iam_policy_document.signer.json
}

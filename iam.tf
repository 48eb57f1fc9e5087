################################################################################
# Signer role: trusted by Lambda only; writes under key_prefix only
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
  description          = "Signs S3 upload URLs for ${var.name}; may write under ${var.key_prefix} only."
  assume_role_policy   = data.aws_iam_policy_document.signer_trust.json
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary

  tags = local.tags
}

data "aws_iam_policy_document" "signer" {
  # A presigned URL carries the signer's permissions: this is all an upload can ever do.
  statement {
    sid       = "PutImportedObjects"
    actions   = ["s3:PutObject"]
    resources = [local.objects_arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.signer_log_group_arn}:*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "EncryptImportedObjects"
      actions   = ["kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
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

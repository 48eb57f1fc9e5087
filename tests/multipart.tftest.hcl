# Multipart imports, caller isolation and EventBridge notifications: what each input turns on and off.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "multipart_disabled" {
  command = plan

  variables {
    multipart_enabled = false
    max_upload_bytes  = 5368709120
  }

  assert {
    condition = toset(flatten([for statement in data.aws_iam_policy_document.signer.statement : tolist(statement.actions)])) == toset([
      "s3:PutObject",
      "s3:GetObject",
      "s3:ListBucket",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ])
    error_message = "Without multipart the signer must lose every multipart action and keep the rest."
  }

  assert {
    condition = (
      one(aws_lambda_function.signer.environment).variables["MULTIPART_ENABLED"] == "false" &&
      one(aws_lambda_function.signer.environment).variables["MAX_UPLOAD_BYTES"] == "5368709120"
    )
    error_message = "The signer must be told that multipart is off, with the single-PUT limit."
  }

  # The routes stay: status and abort still answer for single PUT imports.
  assert {
    condition     = length(aws_lambda_permission.api_gateway) == 7 && length(flatten([for path, methods in jsondecode(output.openapi_document).paths : keys(methods)])) == 7
    error_message = "Every route must stay, with its permission, when multipart is off."
  }
}

run "largest_multipart_upload" {
  command = plan

  variables {
    max_upload_bytes          = 53687091200000
    multipart_threshold_bytes = 5242880
  }

  assert {
    condition = (
      one(aws_lambda_function.signer.environment).variables["MAX_UPLOAD_BYTES"] == "53687091200000" &&
      one(aws_lambda_function.signer.environment).variables["MULTIPART_THRESHOLD_BYTES"] == "5242880"
    )
    error_message = "Limits must reach the signer as plain integers, even at 10,000 parts of 5 GiB."
  }
}

run "eventbridge_notifications_disabled" {
  command = plan

  variables {
    eventbridge_notifications = false
  }

  assert {
    condition     = length(aws_s3_bucket_notification.this) == 0
    error_message = "No bucket notification when eventbridge_notifications is false."
  }
}

run "caller_isolation_disabled" {
  command = plan

  variables {
    caller_isolation = false
  }

  assert {
    condition     = one(aws_lambda_function.signer.environment).variables["CALLER_ISOLATION"] == "off"
    error_message = "caller_isolation = false must turn isolation off."
  }
}

run "cors_for_multipart_browsers" {
  command = plan

  variables {
    cors_allowed_origins = ["https://app.example.com"]
  }

  assert {
    condition = (
      one(aws_s3_bucket_cors_configuration.this[0].cors_rule).allowed_headers == toset(["content-type", "if-none-match", "x-amz-checksum-sha256", "x-amz-checksum-crc64nvme", "x-amz-meta-*"]) &&
      one(aws_s3_bucket_cors_configuration.this[0].cors_rule).expose_headers == toset(["ETag", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha256"]) &&
      one(aws_s3_bucket_cors_configuration.this[0].cors_rule).allowed_methods == toset(["PUT"])
    )
    error_message = "Browsers must be allowed the signed headers and see ETag and the CRC-64/NVME checksum."
  }
}

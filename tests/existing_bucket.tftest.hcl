# An existing bucket: the module creates no bucket resources and scopes IAM to the given name.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "existing_bucket" {
  command = plan

  variables {
    create_bucket = false
    bucket_name   = "corp-landing-zone"
    key_prefix    = "teams/data/imports/"
  }

  assert {
    condition = (
      length(aws_s3_bucket.this) + length(aws_s3_bucket_policy.this) + length(aws_s3_bucket_public_access_block.this) +
      length(aws_s3_bucket_lifecycle_configuration.this) + length(aws_s3_bucket_versioning.this) == 0
    )
    error_message = "An existing bucket must not be created or reconfigured."
  }

  assert {
    condition = alltrue(flatten([
      for statement in data.aws_iam_policy_document.signer.statement : [
        for resource in statement.resources : contains(["arn:aws:s3:::corp-landing-zone/teams/data/imports/*", "arn:aws:s3:::corp-landing-zone"], resource)
      ] if anytrue([for action in statement.actions : startswith(action, "s3:")])
    ]))
    error_message = "The signer may reach the given bucket and objects under the given prefix only."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      statement.actions == toset(["s3:ListBucket"]) && alltrue([for condition in statement.condition : toset(condition.values) == toset(["teams/data/imports/*"])])
    ])
    error_message = "Listing must be limited to the given prefix."
  }

  assert {
    condition     = length(aws_s3_bucket_notification.this) == 0
    error_message = "An existing bucket's notifications belong to its owner."
  }

  assert {
    condition     = jsondecode(output.object_created_event_pattern).detail == { bucket = { name = ["corp-landing-zone"] }, object = { key = [{ prefix = "teams/data/imports/" }] } }
    error_message = "The event pattern must name the existing bucket and prefix."
  }

  assert {
    condition     = output.bucket_name == "corp-landing-zone" && output.bucket_arn == "arn:aws:s3:::corp-landing-zone"
    error_message = "Outputs must name the existing bucket."
  }
}

run "kms_encrypted_bucket" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The bucket must default to SSE-KMS with the given key."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      statement.actions == toset(["kms:GenerateDataKey", "kms:Decrypt"]) &&
      statement.resources == toset(["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]) &&
      length(statement.condition) == 1 && alltrue([
        for condition in statement.condition :
        condition.test == "StringEquals" && condition.variable == "kms:ViaService" && toset(condition.values) == toset(["s3.eu-west-1.amazonaws.com"])
      ])
    ])
    error_message = "With a KMS key the signer needs kms:GenerateDataKey and kms:Decrypt (multipart completion) on that key only, through S3 only."
  }
}

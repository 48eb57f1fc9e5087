# Offline plan of the module with defaults: what checkov cannot see (the OpenAPI body,
# policy statements, cross-resource scoping) is asserted here.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "defaults_plan" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket.this) == 1 && aws_s3_bucket.this[0].bucket_prefix == "signed-import-" && aws_s3_bucket.this[0].force_destroy == false
    error_message = "Defaults must create one bucket named from var.name, without force_destroy."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this[0].block_public_acls,
      aws_s3_bucket_public_access_block.this[0].block_public_policy,
      aws_s3_bucket_public_access_block.this[0].ignore_public_acls,
      aws_s3_bucket_public_access_block.this[0].restrict_public_buckets,
    ])
    error_message = "All four public access block flags must be on."
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this[0].rule).object_ownership == "BucketOwnerEnforced"
    error_message = "Object ownership must be BucketOwnerEnforced (ACLs disabled)."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Default encryption must be SSE-S3 without a KMS key."
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this[0].versioning_configuration).status == "Enabled"
    error_message = "Versioning must be on by default."
  }

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.this[0].rule :
      rule.status == "Enabled" && length(rule.abort_incomplete_multipart_upload) == 1
    ])
    error_message = "A lifecycle rule must abort incomplete multipart uploads."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.bucket[0].statement :
      statement.effect == "Deny" && contains(statement.actions, "s3:*") && anytrue([
        for condition in statement.condition :
        condition.test == "Bool" && condition.variable == "aws:SecureTransport" && contains(condition.values, "false")
      ])
    ])
    error_message = "The bucket policy must deny every request without TLS."
  }

  assert {
    condition     = length(aws_s3_bucket_policy.this) == 1
    error_message = "The TLS-only bucket policy must be attached by default."
  }

  assert {
    condition = alltrue(flatten([
      for statement in data.aws_iam_policy_document.signer.statement : [
        for resource in statement.resources :
        startswith(resource, "arn:aws:s3:::signed-import-20261125120000000000000001/imports/")
      ] if anytrue([for action in statement.actions : startswith(action, "s3:")])
    ]))
    error_message = "Every S3 permission of the signer must be scoped to <bucket>/<key_prefix>."
  }

  assert {
    condition = alltrue(flatten([
      for statement in data.aws_iam_policy_document.signer.statement : [
        for action in statement.actions : !endswith(action, "*")
      ]
    ]))
    error_message = "The signer policy must not grant wildcard actions."
  }

  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      alltrue([for resource in statement.resources : resource != "*"])
      if anytrue([for action in statement.actions : !startswith(action, "xray:")])
    ])
    error_message = "Only X-Ray actions (which have no resource-level permissions) may use resource \"*\"."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.signer_trust.statement[0].principals).identifiers == toset(["lambda.amazonaws.com"])
    error_message = "The signer role must trust Lambda only."
  }

  assert {
    condition     = aws_lambda_permission.api_gateway.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/POST/import"
    error_message = "The Lambda permission must be scoped to this API, stage, method and path."
  }

  assert {
    condition     = aws_lambda_function.signer.runtime == "python3.13" && aws_lambda_function.signer.architectures == tolist(["arm64"])
    error_message = "The signer must run on a supported Python runtime on arm64 by default."
  }

  assert {
    condition     = one(aws_lambda_function.signer.logging_config).log_format == "JSON" && aws_cloudwatch_log_group.signer.retention_in_days == 365
    error_message = "The signer must log JSON into its own log group with retention."
  }

  assert {
    condition = (
      one(aws_lambda_function.signer.environment).variables["BUCKET_NAME"] == "signed-import-20261125120000000000000001" &&
      one(aws_lambda_function.signer.environment).variables["KEY_PREFIX"] == "imports/" &&
      one(aws_lambda_function.signer.environment).variables["MAX_UPLOAD_BYTES"] == "5368709120" &&
      one(aws_lambda_function.signer.environment).variables["URL_EXPIRY_SECONDS"] == "900" &&
      strcontains(one(aws_lambda_function.signer.environment).variables["ALLOWED_CONTENT_TYPES"], "text/csv")
    )
    error_message = "The signer environment must carry bucket, prefix, limits and expiry."
  }

  assert {
    condition = (
      one(aws_api_gateway_method_settings.this.settings).data_trace_enabled == false &&
      one(aws_api_gateway_method_settings.this.settings).metrics_enabled == true &&
      one(aws_api_gateway_method_settings.this.settings).logging_level == "ERROR" &&
      one(aws_api_gateway_method_settings.this.settings).throttling_rate_limit == 50 &&
      one(aws_api_gateway_method_settings.this.settings).throttling_burst_limit == 50
    )
    error_message = "Method settings must enable metrics, logging and throttling, and never trace data."
  }

  assert {
    condition     = length(aws_api_gateway_stage.this.access_log_settings) == 1 && can(jsondecode(one(aws_api_gateway_stage.this.access_log_settings).format).requestId)
    error_message = "The stage must write JSON access logs."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 0
    error_message = "The regional API Gateway account singleton must not be managed unless asked for."
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == sha1(jsonencode([output.openapi_document, null]))
    error_message = "The deployment must be redeployed whenever the OpenAPI body changes."
  }

  assert {
    condition     = output.import_url == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/import"
    error_message = "import_url must be the stage URL plus /import."
  }
}

run "openapi_body" {
  command = plan

  # Every method of every path: authorized, validated, proxied to the signer.
  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods : length(operation.security) > 0
      ]
    ]))
    error_message = "Every method must require authorization."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods :
        operation["x-amazon-apigateway-request-validator"] == "body" &&
        operation["x-amazon-apigateway-integration"].type == "aws_proxy" &&
        operation["x-amazon-apigateway-integration"].uri == aws_lambda_function.signer.invoke_arn
      ]
    ]))
    error_message = "Every method must validate its request and proxy to the signer."
  }

  assert {
    condition     = jsondecode(output.openapi_document)["x-amazon-apigateway-request-validators"].body.validateRequestBody == true
    error_message = "The body validator must validate request bodies."
  }

  assert {
    condition     = keys(jsondecode(output.openapi_document).paths) == ["/import"] && keys(jsondecode(output.openapi_document).paths["/import"]) == ["post"]
    error_message = "The API must expose POST /import and nothing else."
  }

  assert {
    condition     = jsondecode(output.openapi_document).components.securitySchemes.sigv4["x-amazon-apigateway-authtype"] == "awsSigv4" && jsondecode(output.openapi_document).paths["/import"].post.security == [{ sigv4 = [] }]
    error_message = "AWS_IAM must be the default authorization."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.schemas.ImportRequest.required == ["size"] &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.additionalProperties == false &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.size.minimum == 1 &&
      !can(jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.size.maximum)
    )
    error_message = "The model must require a positive size and refuse unknown fields, but leave the upper bound to the signer (413, not the validator's 400)."
  }

  assert {
    condition = alltrue([
      for type in ["DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY", "MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED", "THROTTLED", "UNAUTHORIZED"] :
      can(regex("^\\{\"error\":\\{\"code\":\"[A-Za-z]+\",\"message\":\\$context\\.error\\.messageString\\}\\}$", jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"][type].responseTemplates["application/json"]))
    ])
    error_message = "Gateway responses must return the module's {\"error\":{\"code\",\"message\"}} JSON shape."
  }
}

run "longest_name_fits_the_bucket_prefix" {
  command = plan

  variables {
    name                      = "a234567890123456789012345678901234567890"
    role_path                 = "/imports/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/boundary"
  }

  # S3 caps bucket_prefix at 37 characters; the mocked provider would not catch it.
  assert {
    condition     = length(aws_s3_bucket.this[0].bucket_prefix) <= 37 && startswith(aws_s3_bucket.this[0].bucket_prefix, substr(var.name, 0, 36))
    error_message = "bucket_prefix must fit S3's 37-character limit for the longest allowed name."
  }

  assert {
    condition     = aws_iam_role.signer.path == "/imports/" && aws_iam_role.signer.permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    error_message = "The signer role must take the given path and permissions boundary."
  }
}

run "existing_dotted_bucket_is_accepted" {
  command = plan

  variables {
    create_bucket = false
    bucket_name   = "legacy.imports.example.com"
  }

  assert {
    condition     = output.bucket_name == "legacy.imports.example.com"
    error_message = "An existing bucket may have dots (URLs fall back to path style)."
  }
}

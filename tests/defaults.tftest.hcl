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
    condition     = aws_iam_role.signer.force_detach_policies
    error_message = "The signer's role must be destroyable with policies the state does not know of (an interrupted apply's)."
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
      for rule in aws_s3_bucket_lifecycle_configuration.this[0].rule :
      rule.status == "Enabled" && rule.id == "expire-noncurrent-versions" &&
      length(rule.noncurrent_version_expiration) == 1 &&
      try(one(rule.expiration).expired_object_delete_marker, false) == true
    ])
    error_message = "With versioning, noncurrent versions must expire and delete markers that mark nothing must be removed."
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
    condition = length([
      for statement in data.aws_iam_policy_document.bucket[0].statement : statement
      if statement.sid == "DenyUnconditionalWrites" && statement.effect == "Deny" &&
      statement.actions == toset(["s3:PutObject"]) &&
      statement.resources == toset(["arn:aws:s3:::signed-import-20261125120000000000000001/imports/*"]) &&
      length(statement.condition) == 2 &&
      anytrue([for c in statement.condition : c.test == "Null" && c.variable == "s3:if-none-match" && c.values == tolist(["true"])]) &&
      anytrue([for c in statement.condition : c.test == "Bool" && c.variable == "s3:ObjectCreationOperation" && c.values == tolist(["true"])])
    ]) == 1
    error_message = "The bucket policy must deny PutObject and CompleteMultipartUpload without If-None-Match under key_prefix, and only those (ObjectCreationOperation exempts part uploads, which cannot carry it)."
  }

  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      statement.resources == toset(["arn:aws:s3:::signed-import-20261125120000000000000001/imports/*"])
      if length(setintersection(statement.actions, ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"])) > 0
    ])
    error_message = "Every object permission of the signer must be scoped to <bucket>/<key_prefix>*."
  }

  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      statement.resources == toset(["arn:aws:s3:::signed-import-20261125120000000000000001"])
      if length(setintersection(statement.actions, ["s3:ListBucket", "s3:ListBucketMultipartUploads"])) > 0
    ])
    error_message = "Bucket-level permissions of the signer must name this bucket only."
  }

  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      startswith(one(statement.resources), "arn:aws:s3:::signed-import-20261125120000000000000001/imports/") || one(statement.resources) == "arn:aws:s3:::signed-import-20261125120000000000000001"
      if anytrue([for action in statement.actions : startswith(action, "s3:")])
    ])
    error_message = "The signer's S3 permissions must name nothing but this bucket and <bucket>/<key_prefix>*."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.signer.statement :
      statement.actions == toset(["s3:ListBucket"]) && length(statement.condition) == 1 && alltrue([
        for condition in statement.condition :
        condition.test == "StringLike" && condition.variable == "s3:prefix" && toset(condition.values) == toset(["imports/*"])
      ])
    ])
    error_message = "s3:ListBucket must be limited to keys under key_prefix with an s3:prefix condition."
  }

  assert {
    condition = toset(flatten([for statement in data.aws_iam_policy_document.signer.statement : tolist(statement.actions)])) == toset([
      "s3:PutObject",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
      "s3:ListBucketMultipartUploads",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ])
    error_message = "The signer policy must grant exactly the actions of the design, multipart ones included by default."
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
    condition = { for route, permission in aws_lambda_permission.api_gateway : route => permission.source_arn } == {
      "POST /import"                      = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/POST/import"
      "GET /import/{import_id}"           = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/GET/import/*"
      "DELETE /import/{import_id}"        = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/DELETE/import/*"
      "POST /import/{import_id}/parts"    = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/POST/import/*/parts"
      "GET /import/{import_id}/parts"     = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/GET/import/*/parts"
      "POST /import/{import_id}/complete" = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/POST/import/*/complete"
      "POST /imports"                     = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/POST/imports"
    }
    error_message = "There must be one Lambda permission per route, scoped to this API, stage, method and path."
  }

  assert {
    condition = toset(keys(aws_lambda_permission.api_gateway)) == toset(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [for method, operation in methods : "${upper(method)} ${path}"]
    ]))
    error_message = "Every operation of the OpenAPI body must have its Lambda permission, and no other permission may exist."
  }

  assert {
    condition = (
      aws_lambda_permission.api_gateway["POST /import"].statement_id == "AllowApiGateway-createImport" &&
      length(distinct([for permission in aws_lambda_permission.api_gateway : permission.statement_id])) == 7 &&
      alltrue([for permission in aws_lambda_permission.api_gateway : permission.principal == "apigateway.amazonaws.com" && permission.action == "lambda:InvokeFunction"])
    )
    error_message = "Permissions must have distinct statement ids named after their operation and let API Gateway invoke only."
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
      one(aws_lambda_function.signer.environment).variables["MAX_UPLOAD_BYTES"] == "5497558138880" &&
      one(aws_lambda_function.signer.environment).variables["URL_EXPIRY_SECONDS"] == "900" &&
      one(aws_lambda_function.signer.environment).variables["MULTIPART_ENABLED"] == "true" &&
      one(aws_lambda_function.signer.environment).variables["MULTIPART_THRESHOLD_BYTES"] == "104857600" &&
      one(aws_lambda_function.signer.environment).variables["CALLER_ISOLATION"] == "iam" &&
      strcontains(one(aws_lambda_function.signer.environment).variables["ALLOWED_CONTENT_TYPES"], "text/csv")
    )
    error_message = "The signer environment must carry bucket, prefix, limits, expiry, multipart settings and caller isolation."
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
    condition = alltrue([
      for name, value in jsondecode(one(aws_api_gateway_stage.this.access_log_settings).format) :
      can(regex("^\\$context\\.[A-Za-z.]+$", value)) && value != "$context.error.validationErrorString"
    ])
    error_message = "Every access-log field must be one $context variable, and none whose value can carry the request's text unescaped (validationErrorString): each line must stay JSON."
  }

  assert {
    condition     = length(aws_s3_bucket_notification.this) == 1 && aws_s3_bucket_notification.this[0].eventbridge == true && aws_s3_bucket_notification.this[0].bucket == "signed-import-20261125120000000000000001"
    error_message = "The created bucket must send its events to EventBridge by default."
  }

  assert {
    condition = jsondecode(output.object_created_event_pattern) == {
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail = {
        bucket = { name = ["signed-import-20261125120000000000000001"] }
        object = { key = [{ prefix = "imports/" }] }
      }
    }
    error_message = "object_created_event_pattern must match Object Created events of this bucket under key_prefix."
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

  assert {
    condition = toset(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods : "${upper(method)} ${path} ${operation.operationId}"
      ]
      ])) == toset([
      "POST /import createImport",
      "GET /import/{import_id} getImport",
      "DELETE /import/{import_id} abortImport",
      "POST /import/{import_id}/parts signParts",
      "GET /import/{import_id}/parts listParts",
      "POST /import/{import_id}/complete completeImport",
      "POST /imports createImports",
    ])
    error_message = "The API must expose exactly the seven import operations, with their operation ids."
  }

  # Every method of every path: authorized like the module, validated, proxied to the signer.
  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods : operation.security == [{ sigv4 = [] }]
      ]
    ]))
    error_message = "Every method must require the module's authorization (AWS_IAM by default)."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods :
        operation["x-amazon-apigateway-request-validator"] == (method == "post" ? "body" : "parameters") &&
        operation["x-amazon-apigateway-integration"].type == "aws_proxy" &&
        operation["x-amazon-apigateway-integration"].httpMethod == "POST" &&
        operation["x-amazon-apigateway-integration"].timeoutInMillis == 29000 &&
        operation["x-amazon-apigateway-integration"].uri == aws_lambda_function.signer.invoke_arn
      ]
    ]))
    error_message = "Every method must have a request validator (body for POST, parameters for GET and DELETE) and proxy to the signer."
  }

  assert {
    condition = jsondecode(output.openapi_document)["x-amazon-apigateway-request-validators"] == {
      body       = { validateRequestBody = true, validateRequestParameters = true }
      parameters = { validateRequestBody = false, validateRequestParameters = true }
    }
    error_message = "The body validator must validate bodies and parameters; the parameters validator parameters only."
  }

  assert {
    condition = toset(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods :
        "${operation.operationId} ${try(operation.requestBody.content["application/json"].schema["$ref"], "-")} ${try(operation.requestBody.required, "-")}"
      ]
      ])) == toset([
      "createImport #/components/schemas/ImportRequest true",
      "signParts #/components/schemas/SignPartsRequest true",
      "completeImport #/components/schemas/CompleteRequest true",
      "createImports #/components/schemas/ImportBatchRequest true",
      "getImport - -",
      "listParts - -",
      "abortImport - -",
    ])
    error_message = "POST operations must require a body of their request model (ImportRequest, SignPartsRequest, CompleteRequest, ImportBatchRequest); GET and DELETE take none."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods :
        strcontains(path, "{import_id}") ? operation.parameters == [{ name = "import_id", in = "path", required = true, schema = { type = "string" } }] : !can(operation.parameters)
      ]
    ]))
    error_message = "Every {import_id} route must declare its required path parameter; /import declares none."
  }

  assert {
    condition = {
      for path, methods in jsondecode(output.openapi_document).paths : path => {
        for method, operation in methods : method => join(" ", sort(keys(operation.responses)))
      }
      } == {
      "/import"                      = { post = "201 400 403 413 415 429 500 501 503" }
      "/import/{import_id}"          = { get = "200 403 404 429 500 503", delete = "204 403 404 409 429 500 503" }
      "/import/{import_id}/parts"    = { post = "200 400 403 404 409 413 415 429 500 503", get = "200 403 404 409 429 500 503" }
      "/import/{import_id}/complete" = { post = "200 400 403 404 409 413 415 429 500 501 503" }
      "/imports"                     = { post = "200 400 403 413 415 429 500" }
    }
    error_message = "Every operation must document exactly its statuses."
  }

  assert {
    condition = {
      for path, methods in jsondecode(output.openapi_document).paths : path => {
        for method, operation in methods : method => try(operation.responses[one([for status in keys(operation.responses) : status if startswith(status, "2")])].content["application/json"].schema["$ref"], null)
      }
      } == {
      "/import"                      = { post = "#/components/schemas/ImportResponse" }
      "/import/{import_id}"          = { get = "#/components/schemas/ImportStatus", delete = null }
      "/import/{import_id}/parts"    = { post = "#/components/schemas/SignPartsResponse", get = "#/components/schemas/ListPartsResponse" }
      "/import/{import_id}/complete" = { post = "#/components/schemas/CompleteResponse" }
      "/imports"                     = { post = "#/components/schemas/ImportBatchResponse" }
    }
    error_message = "Every success response must reference its response model; 204 has no body."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods : [
          for status, response in operation.responses :
          response.content["application/json"].schema["$ref"] == "#/components/schemas/Error" if !startswith(status, "2")
        ]
      ]
    ])) && jsondecode(output.openapi_document).paths["/import/{import_id}"].get.responses["404"].description == "No such import" && jsondecode(output.openapi_document).paths["/import/{import_id}"].delete.responses["409"].description == "Conflicts with the import's state"
    error_message = "Every error status must answer the Error model, with its documented meaning."
  }

  assert {
    condition     = jsondecode(output.openapi_document).components.securitySchemes.sigv4["x-amazon-apigateway-authtype"] == "awsSigv4"
    error_message = "AWS_IAM must be the default authorization."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.schemas.ImportRequest.required == ["size"] &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.additionalProperties == false &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.size.minimum == 0 &&
      !can(jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.size.maximum)
    )
    error_message = "The model must require a size of 0 or more (an empty file is a real file) and refuse unknown fields, but leave the upper bound to the signer (413, not the validator's 400)."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.multipart.type == "boolean" &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.part_size.minimum == 5242880 &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.part_size.maximum == 5368709120 &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.checksum_algorithm.enum == ["CRC64NVME"] &&
      jsondecode(output.openapi_document).components.schemas.ImportRequest.properties.checksum_crc64nvme.pattern == "^[A-Za-z0-9+/]{11}=$"
    )
    error_message = "ImportRequest must accept multipart, part_size (5 MiB to 5 GiB), checksum_algorithm CRC64NVME and a base64 CRC-64/NVME."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.schemas.SignPartsRequest.additionalProperties == false &&
      jsondecode(output.openapi_document).components.schemas.SignPartsRequest.properties.part_numbers.maxItems == 100 &&
      jsondecode(output.openapi_document).components.schemas.SignPartsRequest.properties.part_numbers.items == { type = "integer", minimum = 1, maximum = 10000 } &&
      jsondecode(output.openapi_document).components.schemas.SignPartsRequest.properties.parts.maxItems == 100 &&
      jsondecode(output.openapi_document).components.schemas.SignPartsRequest.properties.parts.items.required == ["part_number"] &&
      jsondecode(output.openapi_document).components.schemas.SignPartsRequest.properties.parts.items.additionalProperties == false &&
      jsondecode(output.openapi_document).components.schemas.CompleteRequest.required == ["parts"] &&
      jsondecode(output.openapi_document).components.schemas.CompleteRequest.additionalProperties == false &&
      jsondecode(output.openapi_document).components.schemas.CompleteRequest.properties.parts.maxItems == 10000 &&
      jsondecode(output.openapi_document).components.schemas.CompleteRequest.properties.parts.items.required == ["part_number", "etag"] &&
      jsondecode(output.openapi_document).components.schemas.CompleteRequest.properties.parts.items.properties.etag == { type = "string", minLength = 1, maxLength = 1024 }
    )
    error_message = "SignPartsRequest and CompleteRequest must bound their lists and refuse unknown fields."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.schemas.ImportBatchRequest.required == ["imports"] &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchRequest.additionalProperties == false &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchRequest.properties.imports.minItems == 1 &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchRequest.properties.imports.maxItems == 100 &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchRequest.properties.imports.items == { "$ref" = "#/components/schemas/ImportRequest" } &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchResponse.properties.results.items.required == ["status"] &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchResponse.properties.results.items.properties.import == { "$ref" = "#/components/schemas/ImportResponse" } &&
      jsondecode(output.openapi_document).components.schemas.ImportBatchResponse.properties.results.items.properties.error.required == ["code", "message"]
    )
    error_message = "ImportBatchRequest must hold 1 to 100 ImportRequests (validated before the signer like POST /import's body); ImportBatchResponse one import or error per item."
  }

  assert {
    condition     = output.imports_url == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/imports" && aws_lambda_function.signer.environment[0].variables.MAX_IMPORTS_PER_REQUEST == "100"
    error_message = "imports_url must name POST /imports beside import_url; the signer must know the limit."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.schemas.ImportResponse.required == ["import_id", "bucket", "key", "expires_at", "upload"] &&
      jsondecode(output.openapi_document).components.schemas.ImportResponse.properties.upload.required == ["method"] &&
      jsondecode(output.openapi_document).components.schemas.ImportResponse.properties.upload.properties.method.enum == ["PUT", "MULTIPART"] &&
      alltrue([for field in ["url", "headers", "part_size", "part_count", "parts", "checksum_algorithm"] : can(jsondecode(output.openapi_document).components.schemas.ImportResponse.properties.upload.properties[field])]) &&
      can(jsondecode(output.openapi_document).components.schemas.ImportResponse.properties.upload_url) &&
      jsondecode(output.openapi_document).components.schemas.SignedPart.required == ["part_number", "size", "url", "headers"] &&
      jsondecode(output.openapi_document).components.schemas.SignPartsResponse.required == ["expires_at", "parts"] &&
      jsondecode(output.openapi_document).components.schemas.ListPartsResponse.required == ["import_id", "size", "part_size", "part_count", "parts"] &&
      jsondecode(output.openapi_document).components.schemas.ListPartsResponse.properties.parts.items.required == ["part_number", "size", "etag"] &&
      jsondecode(output.openapi_document).components.schemas.CompleteResponse.required == ["import_id", "bucket", "key", "status", "size", "etag"] &&
      jsondecode(output.openapi_document).components.schemas.CompleteResponse.properties.status.enum == ["complete"] &&
      jsondecode(output.openapi_document).components.schemas.ImportStatus.required == ["import_id", "bucket", "key", "status", "method"] &&
      jsondecode(output.openapi_document).components.schemas.ImportStatus.properties.status.enum == ["pending", "uploading", "complete"] &&
      jsondecode(output.openapi_document).components.schemas.ImportStatus.properties.method.enum == ["PUT", "MULTIPART"]
    )
    error_message = "Response models must describe both upload kinds, signed parts, part lists, completion and status as designed."
  }

  assert {
    condition = alltrue([
      for type in ["DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED", "THROTTLED", "UNAUTHORIZED"] :
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

run "batch_route_off" {
  command = plan

  variables {
    max_imports_per_request = 0
  }

  assert {
    condition = (
      !contains(keys(jsondecode(output.openapi_document).paths), "/imports") &&
      !contains(keys(aws_lambda_permission.api_gateway), "POST /imports") &&
      output.imports_url == null &&
      aws_lambda_function.signer.environment[0].variables.MAX_IMPORTS_PER_REQUEST == "0"
    )
    error_message = "max_imports_per_request = 0 must leave POST /imports out of the API, its permission and outputs, and tell the signer."
  }
}

run "batch_route_limit" {
  command = plan

  variables {
    max_imports_per_request = 25
  }

  assert {
    condition     = jsondecode(output.openapi_document).components.schemas.ImportBatchRequest.properties.imports.maxItems == 25 && aws_lambda_function.signer.environment[0].variables.MAX_IMPORTS_PER_REQUEST == "25"
    error_message = "The request model and the signer must both bound a call at max_imports_per_request."
  }
}

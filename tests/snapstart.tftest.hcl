# SnapStart (snapstart_enabled): a published version with a snapshot, the "live" alias on it, and
# API Gateway invoking and permitted to invoke that alias only; off by default, exactly as before.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "snapstart_off_by_default" {
  command = plan

  assert {
    condition     = aws_lambda_function.signer.publish == false && length(aws_lambda_function.signer.snap_start) == 0
    error_message = "By default the signer must neither publish versions nor use SnapStart."
  }

  assert {
    condition     = length(aws_lambda_alias.signer) == 0 && output.lambda_alias_arn == null
    error_message = "By default there must be no alias, and lambda_alias_arn must be null."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods :
        operation["x-amazon-apigateway-integration"].uri == aws_lambda_function.signer.invoke_arn
      ]
    ]))
    error_message = "By default every operation must invoke the unqualified function."
  }

  assert {
    condition = alltrue([
      for permission in aws_lambda_permission.api_gateway :
      permission.qualifier == null && permission.function_name == aws_lambda_function.signer.function_name
    ])
    error_message = "By default every invoke permission must be on the unqualified function."
  }
}

run "snapstart_enabled" {
  command = plan

  variables {
    snapstart_enabled = true
  }

  assert {
    condition     = aws_lambda_function.signer.publish == true
    error_message = "SnapStart needs published versions: the function must publish one per change."
  }

  assert {
    condition     = one(aws_lambda_function.signer.snap_start).apply_on == "PublishedVersions"
    error_message = "SnapStart must apply to published versions."
  }

  assert {
    condition = (
      length(aws_lambda_alias.signer) == 1 &&
      aws_lambda_alias.signer[0].name == "live" &&
      aws_lambda_alias.signer[0].function_name == aws_lambda_function.signer.function_name &&
      aws_lambda_alias.signer[0].function_version == aws_lambda_function.signer.version &&
      aws_lambda_alias.signer[0].function_version == "1"
    )
    error_message = "The \"live\" alias must point at the version the function published (never $LATEST)."
  }

  # Decoded body: every operation of every path proxies to the alias, none to the function.
  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods :
        operation["x-amazon-apigateway-integration"].uri == aws_lambda_alias.signer[0].invoke_arn &&
        strcontains(operation["x-amazon-apigateway-integration"].uri, ":function:signed-import:live/invocations")
      ]
    ]))
    error_message = "Every operation of the OpenAPI body must invoke the \"live\" alias."
  }

  assert {
    condition = length(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [for method, operation in methods : method]
    ])) == 7
    error_message = "All seven operations must be in the body (and so checked above)."
  }

  assert {
    condition = length(aws_lambda_permission.api_gateway) == 7 && alltrue([
      for permission in aws_lambda_permission.api_gateway :
      permission.qualifier == "live" && permission.function_name == aws_lambda_function.signer.function_name
    ])
    error_message = "Every invoke permission must be on the \"live\" alias, not on the unqualified function."
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
    error_message = "The alias permissions must stay scoped to this API, stage, method and path."
  }

  assert {
    condition = (
      output.lambda_alias_arn == "arn:aws:lambda:eu-west-1:123456789012:function:signed-import:live" &&
      output.lambda_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:signed-import"
    )
    error_message = "lambda_alias_arn must be the alias; lambda_function_arn stays the unqualified function."
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == sha1(jsonencode([output.openapi_document, null]))
    error_message = "Switching to the alias changes the body, so the stage must be redeployed."
  }
}

# A new zip (or configuration) makes the provider publish a new version: the alias moves to it,
# while the body, and so the deployment the stage serves, stays the same.
run "new_version_moves_the_alias_only" {
  command = plan

  variables {
    snapstart_enabled = true
  }

  override_resource {
    target          = aws_lambda_function.signer
    override_during = plan
    values = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:signed-import"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:signed-import/invocations"
      version    = "2"
    }
  }

  assert {
    condition     = aws_lambda_alias.signer[0].function_version == "2"
    error_message = "The alias must follow the newly published version."
  }

  assert {
    condition     = output.openapi_document == run.snapstart_enabled.openapi_document && output.lambda_alias_arn == run.snapstart_enabled.lambda_alias_arn
    error_message = "A new version must not change the body or the alias ARN: the stage keeps serving without a redeployment."
  }
}

run "snapstart_on_the_oldest_accepted_runtime" {
  command = plan

  variables {
    snapstart_enabled = true
    lambda_runtime    = "python3.12"
  }

  assert {
    condition     = aws_lambda_function.signer.runtime == "python3.12" && one(aws_lambda_function.signer.snap_start).apply_on == "PublishedVersions"
    error_message = "SnapStart for Python starts at 3.12, the oldest runtime lambda_runtime accepts."
  }
}

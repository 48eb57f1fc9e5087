# Each authorization type renders its own security scheme on every method.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "cognito_user_pools" {
  command = plan

  variables {
    authorization_type           = "COGNITO_USER_POOLS"
    cognito_user_pool_arns       = ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"]
    cognito_authorization_scopes = ["imports/write"]
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.securitySchemes.cognito["x-amazon-apigateway-authorizer"].providerARNs == ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"] &&
      alltrue(flatten([for path, methods in jsondecode(output.openapi_document).paths : [for method, operation in methods : operation.security == [{ cognito = ["imports/write"] }]]]))
    )
    error_message = "Cognito authorization must use the given user pools and scopes on every route."
  }

  assert {
    condition     = one(aws_lambda_function.signer.environment).variables["CALLER_ISOLATION"] == "cognito"
    error_message = "Cognito callers must be isolated by their token's subject."
  }

  assert {
    condition     = length(aws_lambda_permission.authorizer) == 0
    error_message = "No authorizer permission without a Lambda authorizer."
  }
}

run "lambda_authorizer" {
  command = plan

  variables {
    authorization_type = "CUSTOM"
    custom_authorizer = {
      function_arn    = "arn:aws:lambda:eu-west-1:123456789012:function:import-authorizer"
      identity_source = "method.request.header.X-Api-Token"
    }
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).components.securitySchemes.lambda.name == "X-Api-Token" &&
      jsondecode(output.openapi_document).components.securitySchemes.lambda["x-amazon-apigateway-authorizer"].type == "token" &&
      jsondecode(output.openapi_document).components.securitySchemes.lambda["x-amazon-apigateway-authorizer"].authorizerUri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:import-authorizer/invocations" &&
      alltrue(flatten([for path, methods in jsondecode(output.openapi_document).paths : [for method, operation in methods : operation.security == [{ lambda = [] }]]]))
    )
    error_message = "A Lambda authorizer must be wired to every route with its identity source."
  }

  assert {
    condition     = one(aws_lambda_function.signer.environment).variables["CALLER_ISOLATION"] == "custom"
    error_message = "Callers of a Lambda authorizer must be isolated by their principalId."
  }

  assert {
    condition     = aws_lambda_permission.authorizer[0].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/*"
    error_message = "API Gateway must be allowed to invoke the authorizer from this API only."
  }
}

run "explicitly_unauthenticated" {
  command = plan

  variables {
    authorization_type    = "NONE"
    allow_unauthenticated = true
  }

  assert {
    condition = (
      alltrue(flatten([for path, methods in jsondecode(output.openapi_document).paths : [for method, operation in methods : operation.security == []]])) &&
      jsondecode(output.openapi_document).components.securitySchemes == {}
    )
    error_message = "NONE with the explicit opt-in renders no security requirement."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods : operation["x-amazon-apigateway-request-validator"] == (method == "post" ? "body" : "parameters")
      ]
    ]))
    error_message = "Even an open API validates request bodies and parameters."
  }

  assert {
    condition     = one(aws_lambda_function.signer.environment).variables["CALLER_ISOLATION"] == "off"
    error_message = "Without authorization there is no caller to isolate."
  }
}

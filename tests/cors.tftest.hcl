# CORS for browsers: preflights (OPTIONS) only when origins are set, never authorized and never
# invoking the signer; every other method keeps its authorization; every answer names the origin.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "no_origins_no_cors" {
  command = plan

  assert {
    condition = (
      alltrue([for path, methods in jsondecode(output.openapi_document).paths : !contains(keys(methods), "options")]) &&
      alltrue([for type, response in jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"] : !contains(keys(response.responseParameters), "gatewayresponse.header.Access-Control-Allow-Origin")]) &&
      !contains(keys(aws_lambda_function.signer.environment[0].variables), "CORS_ALLOWED_ORIGINS") &&
      length(aws_s3_bucket_cors_configuration.this) == 0
    )
    error_message = "Without cors_allowed_origins there must be no OPTIONS method, no CORS header and no bucket CORS."
  }
}

run "listed_origins" {
  command = plan

  variables {
    cors_allowed_origins = ["https://app.example.com", "https://admin.example.com"]
  }

  assert {
    condition = alltrue([
      for path, methods in jsondecode(output.openapi_document).paths :
      methods.options.security == [] && methods.options["x-amazon-apigateway-integration"].type == "mock"
    ])
    error_message = "Every path must have an OPTIONS method with a MOCK integration and no authorization."
  }

  assert {
    condition = alltrue(flatten([
      for path, methods in jsondecode(output.openapi_document).paths : [
        for method, operation in methods : operation.security == [{ sigv4 = [] }] if method != "options"
      ]
    ]))
    error_message = "Every method other than OPTIONS must keep the module's authorization."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).paths["/import/{import_id}"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Methods"] == "'DELETE,GET,OPTIONS'" &&
      jsondecode(output.openapi_document).paths["/import"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Headers"] == "'Content-Type,Authorization,X-Amz-Content-Sha256,X-Amz-Date,X-Amz-Security-Token'" &&
      !contains(keys(jsondecode(output.openapi_document).paths["/import"].options["x-amazon-apigateway-integration"].responses.default.responseParameters), "method.response.header.Access-Control-Allow-Origin") &&
      strcontains(jsondecode(output.openapi_document).paths["/import"].options["x-amazon-apigateway-integration"].responses.default.responseTemplates["application/json"], "$origin == \"https://app.example.com\" || $origin == \"https://admin.example.com\"")
    )
    error_message = "A preflight must allow the path's methods and SigV4's headers, and echo only a listed origin."
  }

  assert {
    condition = alltrue([
      for type, response in jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"] :
      response.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'" &&
      response.responseParameters["gatewayresponse.header.Vary"] == "'Origin'"
    ])
    error_message = "With several origins every gateway response must allow any origin: a mapping from the request's header would read Origin (HTTP/1.1) or origin (HTTP/2), never both."
  }

  assert {
    condition     = !contains(keys(jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"]), "REQUEST_TOO_LARGE")
    error_message = "REQUEST_TOO_LARGE cannot be customized in API Gateway: the document must not pretend it is."
  }

  assert {
    condition     = aws_lambda_function.signer.environment[0].variables.CORS_ALLOWED_ORIGINS == "https://app.example.com,https://admin.example.com"
    error_message = "The signer must know the origins to name them on its own responses."
  }

  assert {
    condition     = toset(keys(aws_lambda_permission.api_gateway)) == toset(keys(local.api_routes))
    error_message = "Preflights never invoke the signer: no invoke permission for OPTIONS."
  }
}

run "one_origin_with_a_bearer_token" {
  command = plan

  variables {
    cors_allowed_origins   = ["https://app.example.com"]
    authorization_type     = "COGNITO_USER_POOLS"
    cognito_user_pool_arns = ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"]
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).paths["/import"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Headers"] == "'Content-Type,Authorization'" &&
      alltrue([
        for type, response in jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"] :
        response.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"
      ])
    )
    error_message = "A bearer deployment must allow its Authorization header; one origin is sent as is on gateway errors."
  }
}

run "any_origin" {
  command = plan

  variables {
    cors_allowed_origins = ["*"]
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).paths["/import"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Origin"] == "'*'" &&
      jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"].DEFAULT_4XX.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'" &&
      one(aws_s3_bucket_cors_configuration.this[0].cors_rule).allowed_origins == toset(["*"])
    )
    error_message = "[\"*\"] must allow any origin, statically, on the API and the bucket."
  }
}

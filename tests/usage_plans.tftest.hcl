# Usage plans: a quota and throttle per consumer, metered by API key on top of the authorization;
# without plans no route asks for a key.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# Distinct ids, so that each key's plan can be told apart at plan time.
override_resource {
  override_during = plan
  target          = aws_api_gateway_usage_plan.this["partners"]
  values          = { id = "partners0" }
}

override_resource {
  override_during = plan
  target          = aws_api_gateway_usage_plan.this["trial"]
  values          = { id = "trial0" }
}

override_resource {
  override_during = plan
  target          = aws_api_gateway_api_key.this["acme"]
  values          = { id = "acme0" }
}

variables {
  usage_plans = {
    partners = {
      description = "Partners: 1,000 imports a day"
      quota       = { limit = 1000, period = "DAY" }
      throttle    = { rate_limit = 10, burst_limit = 20 }
    }
    trial = {
      quota = { limit = 100, period = "MONTH", offset = 10 }
    }
  }
  api_consumers = {
    acme   = { usage_plan = "partners", description = "ACME Corp" }
    globex = { usage_plan = "partners" }
    tester = { usage_plan = "trial", enabled = false }
  }
}

run "each_plan_meters_the_stage" {
  command = plan

  assert {
    condition = (
      aws_api_gateway_usage_plan.this["partners"].name == "signed-import-partners" &&
      one(aws_api_gateway_usage_plan.this["partners"].api_stages).stage == "v1" &&
      one(aws_api_gateway_usage_plan.this["partners"].quota_settings).limit == 1000 &&
      one(aws_api_gateway_usage_plan.this["partners"].quota_settings).period == "DAY" &&
      one(aws_api_gateway_usage_plan.this["partners"].quota_settings).offset == 0 &&
      one(aws_api_gateway_usage_plan.this["partners"].throttle_settings).rate_limit == 10 &&
      one(aws_api_gateway_usage_plan.this["partners"].throttle_settings).burst_limit == 20
    )
    error_message = "The partners plan: the stage, its quota and its throttle."
  }

  assert {
    condition = (
      one(aws_api_gateway_usage_plan.this["trial"].quota_settings).offset == 10 &&
      length(aws_api_gateway_usage_plan.this["trial"].throttle_settings) == 0
    )
    error_message = "A plan without a throttle has no throttle settings."
  }

  assert {
    condition = (
      aws_api_gateway_api_key.this["acme"].name == "signed-import-acme" &&
      aws_api_gateway_api_key.this["acme"].enabled &&
      !aws_api_gateway_api_key.this["tester"].enabled &&
      aws_api_gateway_usage_plan_key.this["acme"].key_id == "acme0" &&
      aws_api_gateway_usage_plan_key.this["acme"].usage_plan_id == "partners0" &&
      aws_api_gateway_usage_plan_key.this["globex"].usage_plan_id == "partners0" &&
      aws_api_gateway_usage_plan_key.this["tester"].usage_plan_id == "trial0" &&
      aws_api_gateway_usage_plan_key.this["acme"].key_type == "API_KEY"
    )
    error_message = "One key per consumer, on the plan it names."
  }

  assert {
    condition = (
      keys(output.usage_plan_ids) == ["partners", "trial"] &&
      keys(output.api_key_ids) == ["acme", "globex", "tester"]
    )
    error_message = "The plans' and keys' ids are outputs, by name."
  }
}

run "every_route_requires_the_key_on_top_of_sigv4" {
  command = plan

  assert {
    condition = (
      jsondecode(output.openapi_document)["x-amazon-apigateway-api-key-source"] == "HEADER" &&
      jsondecode(output.openapi_document).components.securitySchemes.api_key == { type = "apiKey", name = "x-api-key", in = "header" } &&
      alltrue(flatten([
        for path, methods in jsondecode(output.openapi_document).paths : [
          for method, operation in methods : operation.security == [{ sigv4 = [], api_key = [] }]
        ]
      ]))
    )
    error_message = "Every route requires SigV4 and the API key, in one security requirement."
  }

  assert {
    condition = (
      jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"].QUOTA_EXCEEDED.responseTemplates["application/json"] == "{\"error\":{\"code\":\"QuotaExceeded\",\"message\":$context.error.messageString}}" &&
      jsondecode(output.openapi_document)["x-amazon-apigateway-gateway-responses"].INVALID_API_KEY.responseTemplates["application/json"] == "{\"error\":{\"code\":\"InvalidApiKey\",\"message\":$context.error.messageString}}"
    )
    error_message = "A used-up quota and a missing or unknown key answer in the module's error shape."
  }
}

run "the_preflight_allows_the_key_header_and_needs_no_key" {
  command = plan

  variables {
    cors_allowed_origins = ["https://app.example.com"]
  }

  assert {
    condition = (
      jsondecode(output.openapi_document).paths["/import"].options.security == [] &&
      contains(
        split(",", trim(jsondecode(output.openapi_document).paths["/import"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Headers"], "'")),
        "x-api-key"
      )
    )
    error_message = "A browser may send x-api-key; its preflight carries none."
  }
}

run "with_cognito_the_key_joins_the_scopes" {
  command = plan

  variables {
    authorization_type           = "COGNITO_USER_POOLS"
    cognito_user_pool_arns       = ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"]
    cognito_authorization_scopes = ["imports/write"]
  }

  assert {
    condition     = jsondecode(output.openapi_document).paths["/import"].post.security == [{ cognito = ["imports/write"], api_key = [] }]
    error_message = "The key comes on top of the Cognito authorizer and its scopes."
  }
}

run "an_open_api_still_meters_by_key" {
  command = plan

  variables {
    authorization_type    = "NONE"
    allow_unauthenticated = true
  }

  assert {
    condition     = jsondecode(output.openapi_document).paths["/import"].post.security == [{ api_key = [] }]
    error_message = "Without authorization the key is the only requirement."
  }
}

run "without_plans_no_route_asks_for_a_key" {
  command = plan

  variables {
    usage_plans   = {}
    api_consumers = {}
  }

  assert {
    condition = (
      length(aws_api_gateway_usage_plan.this) == 0 &&
      length(aws_api_gateway_api_key.this) == 0 &&
      !contains(keys(jsondecode(output.openapi_document)), "x-amazon-apigateway-api-key-source") &&
      !contains(keys(jsondecode(output.openapi_document).components.securitySchemes), "api_key") &&
      jsondecode(output.openapi_document).paths["/import"].post.security == [{ sigv4 = [] }]
    )
    error_message = "No plans: no keys, no key requirement."
  }
}

run "a_consumer_must_name_an_existing_plan" {
  command = plan

  variables {
    api_consumers = { acme = { usage_plan = "gold" } }
  }

  expect_failures = [var.api_consumers]
}

run "a_plan_meters_something" {
  command = plan

  variables {
    usage_plans = { empty = {} }
  }

  expect_failures = [var.usage_plans]
}

run "a_quota_period_is_a_day_a_week_or_a_month" {
  command = plan

  variables {
    usage_plans = { partners = { quota = { limit = 1000, period = "YEAR" } } }
  }

  expect_failures = [var.usage_plans]
}

run "an_offset_is_less_than_the_limit" {
  command = plan

  variables {
    usage_plans = { partners = { quota = { limit = 10, period = "WEEK", offset = 10 } } }
  }

  expect_failures = [var.usage_plans]
}

run "a_plan_throttle_within_the_stages" {
  command = plan

  variables {
    usage_plans = { partners = { throttle = { rate_limit = 100, burst_limit = 20 } } }
  }

  expect_failures = [var.usage_plans]
}

run "plan_names_fit_api_gateway" {
  command = plan

  variables {
    usage_plans   = { "partners plan" = { quota = { limit = 10, period = "DAY" } } }
    api_consumers = {}
  }

  expect_failures = [var.usage_plans]
}

run "consumer_names_fit_api_gateway" {
  command = plan

  variables {
    api_consumers = { "acme corp" = { usage_plan = "partners" } }
  }

  expect_failures = [var.api_consumers]
}

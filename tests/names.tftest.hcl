# Every name the module generates stays within AWS's limits at the longest `name` (40 characters),
# the longest stage name (128) and the longest region name (us-isof-south-1, 15 characters).
# Limits: IAM role names 64, inline policy names 128 (IAM quotas); Lambda function names 64,
# alias names 128, permission statement ids 100 of [A-Za-z0-9_-] (Lambda API reference);
# CloudWatch log group names 512; REST API names 1024 and stage names 128 (API Gateway);
# bucket_prefix 37 (the provider's limit: 63 minus its 26-character unique suffix).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  name                       = "a234567890123456789012345678901234567890"
  stage_name                 = "s2345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
  manage_api_gateway_account = true
  logging_level              = "INFO"
  authorization_type         = "CUSTOM"
  custom_authorizer = {
    function_arn    = "arn:aws:lambda:us-isof-south-1:123456789012:function:import-authorizer"
    identity_source = "method.request.header.Authorization"
  }
}

run "longest_names_in_the_longest_region" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { id = "us-isof-south-1", name = "us-isof-south-1" }
  }

  assert {
    condition     = length(var.name) == 40 && length(var.stage_name) == 128
    error_message = "The run must use the longest name and stage name the module accepts."
  }

  assert {
    condition = (
      length(aws_iam_role.signer.name) <= 64 &&
      length(aws_iam_role.api_gateway_cloudwatch[0].name) <= 64 &&
      aws_iam_role.api_gateway_cloudwatch[0].name == "${var.name}-apigw-us-isof-south-1"
    )
    error_message = "IAM role names must fit in 64 characters."
  }

  assert {
    condition     = length(aws_iam_role_policy.signer.name) <= 128
    error_message = "Inline policy names must fit in 128 characters."
  }

  assert {
    condition = (
      length(aws_lambda_function.signer.function_name) <= 64 &&
      length(local.signer_alias_name) <= 128
    )
    error_message = "Lambda function names must fit in 64 characters, alias names in 128."
  }

  assert {
    condition = alltrue([
      for id in concat(
        [for permission in aws_lambda_permission.api_gateway : permission.statement_id],
        [aws_lambda_permission.authorizer[0].statement_id],
      ) : length(id) <= 100 && can(regex("^[A-Za-z0-9_-]+$", id))
    ])
    error_message = "Lambda permission statement ids must be at most 100 of [A-Za-z0-9_-]."
  }

  assert {
    condition = alltrue([
      for group in [aws_cloudwatch_log_group.signer, aws_cloudwatch_log_group.access, aws_cloudwatch_log_group.execution[0]] :
      length(group.name) <= 512 && can(regex("^[.\\-_/#A-Za-z0-9]+$", group.name))
    ])
    error_message = "Log group names must be at most 512 of [.-_/#A-Za-z0-9]."
  }

  assert {
    condition = (
      length(aws_api_gateway_rest_api.this.name) <= 1024 &&
      length(aws_api_gateway_stage.this.stage_name) <= 128
    )
    error_message = "The REST API name must fit in 1024 characters, the stage name in 128."
  }

  assert {
    condition     = length(aws_s3_bucket.this[0].bucket_prefix) <= 37
    error_message = "The generated bucket prefix must fit the provider's 37 characters."
  }
}

run "names_that_fit_keep_the_long_role_name" {
  command = plan

  variables {
    name = "signed-import"
  }

  override_data {
    target = data.aws_region.current
    values = { id = "ap-southeast-2", name = "ap-southeast-2" }
  }

  assert {
    condition     = aws_iam_role.api_gateway_cloudwatch[0].name == "signed-import-apigw-cloudwatch-ap-southeast-2"
    error_message = "A name that fits keeps the role name existing deployments have."
  }
}

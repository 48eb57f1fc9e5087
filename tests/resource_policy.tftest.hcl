# The API resource policy is part of the OpenAPI body (x-amazon-apigateway-policy): a body update
# is a PutRestApi in overwrite mode, which replaces the API's policy with the body's, so the policy
# cannot be dropped by one. tests/e2e/test_terraform_moto.py shows it surviving a body change on
# moto, made to replace the policy on import as API Gateway does.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  # AWS's documented form: deny callers outside a source range; "execute-api:/*" is expanded by
  # API Gateway to this API's ARN (the execution ARN output would be a cycle).
  api_resource_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": "*",
          "Action": "execute-api:Invoke",
          "Resource": "execute-api:/*"
        },
        {
          "Effect": "Deny",
          "Principal": "*",
          "Action": "execute-api:Invoke",
          "Resource": "execute-api:/*",
          "Condition": {
            "NotIpAddress": { "aws:SourceIp": ["192.0.2.0/24", "198.51.100.0/24"] }
          }
        }
      ]
    }
  EOT
}

run "policy_in_the_body" {
  command = plan

  assert {
    condition     = jsondecode(output.openapi_document)["x-amazon-apigateway-policy"] == jsondecode(var.api_resource_policy)
    error_message = "The resource policy must be the body's x-amazon-apigateway-policy."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.body == output.openapi_document
    error_message = "The API is imported from that body."
  }
}

run "the_policy_is_part_of_the_deployment_trigger" {
  command = plan

  assert {
    condition = (
      aws_api_gateway_deployment.this.triggers.redeployment == sha1(jsonencode([output.openapi_document, var.api_resource_policy])) &&
      aws_api_gateway_deployment.this.triggers.redeployment != sha1(jsonencode([output.openapi_document, null]))
    )
    error_message = "A changed policy must create a new deployment (a stage serves the policy of its deployment)."
  }
}

run "no_policy_by_default" {
  command = plan

  variables {
    api_resource_policy = null
  }

  assert {
    condition     = !contains(keys(jsondecode(output.openapi_document)), "x-amazon-apigateway-policy")
    error_message = "Without api_resource_policy the body carries no policy."
  }
}

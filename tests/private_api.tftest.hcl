# A PRIVATE API: reachable only through the listed execute-api VPC endpoints. The body carries
# the resource policy (AWS's documented private-API statement first) and the endpoint
# associations, so that a body update (PutRestApi in overwrite mode) keeps both.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  endpoint_type    = "PRIVATE"
  vpc_endpoint_ids = ["vpce-0123456789abcdef0", "vpce-1a2b3c4d"]
}

run "private_api_allows_only_its_vpc_endpoints" {
  command = plan

  assert {
    condition     = one(aws_api_gateway_rest_api.this.endpoint_configuration).types == tolist(["PRIVATE"])
    error_message = "The API must be PRIVATE."
  }

  assert {
    condition     = one(aws_api_gateway_rest_api.this.endpoint_configuration).vpc_endpoint_ids == toset(var.vpc_endpoint_ids)
    error_message = "The API must be associated with every listed VPC endpoint."
  }

  assert {
    condition     = one(aws_api_gateway_rest_api.this.endpoint_configuration).ip_address_type == "dualstack"
    error_message = "A private API can only be dualstack."
  }

  assert {
    condition = jsonencode(jsondecode(output.openapi_document)["x-amazon-apigateway-policy"]) == jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "DenyOutsideTheVpcEndpoints"
          Effect    = "Deny"
          Principal = "*"
          Action    = "execute-api:Invoke"
          Resource  = "execute-api:/*"
          Condition = { StringNotEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids } }
        },
        {
          Sid       = "AllowThroughTheVpcEndpoints"
          Effect    = "Allow"
          Principal = "*"
          Action    = "execute-api:Invoke"
          Resource  = "execute-api:/*"
        },
      ]
    })
    error_message = "Without a policy of the caller's, the body's policy must deny every source but the VPC endpoints and allow the rest."
  }

  assert {
    condition = jsonencode(jsondecode(output.openapi_document).servers) == jsonencode([{
      url                                          = "/"
      "x-amazon-apigateway-endpoint-configuration" = { vpcEndpointIds = var.vpc_endpoint_ids }
    }])
    error_message = "The body must carry the VPC endpoint associations (on its Server object, as OpenAPI 3.0 wants)."
  }

  assert {
    condition = output.vpc_endpoint_import_urls == {
      for id in var.vpc_endpoint_ids :
      id => "https://a1b2c3d4e5-${id}.execute-api.eu-west-1.amazonaws.com/v1/import"
    }
    error_message = "Each VPC endpoint gets its import URL on API Gateway's per-endpoint DNS name."
  }
}

run "a_callers_policy_follows_the_vpc_endpoint_deny" {
  command = plan

  variables {
    # One statement, not a list: IAM's grammar allows both.
    api_resource_policy = jsonencode({
      Version = "2012-10-17"
      Statement = {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::123456789012:role/importer" }
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
      }
    })
  }

  assert {
    condition = jsonencode(jsondecode(output.openapi_document)["x-amazon-apigateway-policy"].Statement) == jsonencode([
      {
        Sid       = "DenyOutsideTheVpcEndpoints"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids } }
      },
      jsondecode(var.api_resource_policy).Statement,
    ])
    error_message = "The caller's statements follow the module's deny, and the module adds no allow of its own."
  }
}

run "regional_by_default" {
  command = plan

  variables {
    endpoint_type    = null # the module's defaults
    vpc_endpoint_ids = null
  }

  assert {
    condition = (
      one(aws_api_gateway_rest_api.this.endpoint_configuration).types == tolist(["REGIONAL"]) &&
      !contains(keys(jsondecode(output.openapi_document)), "x-amazon-apigateway-policy") &&
      !contains(keys(jsondecode(output.openapi_document)), "servers") &&
      output.vpc_endpoint_import_urls == {}
    )
    error_message = "A REGIONAL API has no policy, no endpoint associations and no per-endpoint URLs of the module's."
  }
}

run "private_without_vpc_endpoints" {
  command = plan

  variables {
    vpc_endpoint_ids = []
  }

  expect_failures = [var.vpc_endpoint_ids]
}

run "vpc_endpoints_on_a_regional_api" {
  command = plan

  variables {
    endpoint_type = "REGIONAL"
  }

  expect_failures = [var.vpc_endpoint_ids]
}

run "vpc_endpoint_id_malformed" {
  command = plan

  variables {
    vpc_endpoint_ids = ["vpc-0123456789abcdef0"]
  }

  expect_failures = [var.vpc_endpoint_ids]
}

run "vpc_endpoint_id_repeated" {
  command = plan

  variables {
    vpc_endpoint_ids = ["vpce-1a2b3c4d", "vpce-1a2b3c4d"]
  }

  expect_failures = [var.vpc_endpoint_ids]
}

run "endpoint_type_edge" {
  command = plan

  variables {
    endpoint_type    = "EDGE"
    vpc_endpoint_ids = []
  }

  expect_failures = [var.endpoint_type]
}

# The uploads themselves kept private: the signed URLs name an S3 interface endpoint, and the
# bucket refuses signed-URL writes that arrive through no listed endpoint.

run "uploads_only_through_the_s3_vpc_endpoints" {
  command = plan

  variables {
    upload_endpoint_url     = "https://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com"
    upload_vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
  }

  assert {
    condition     = one(aws_lambda_function.signer.environment).variables.UPLOAD_ENDPOINT_URL == var.upload_endpoint_url
    error_message = "The signer must name the S3 VPC endpoint in its URLs."
  }

  assert {
    condition = length([
      for statement in data.aws_iam_policy_document.uploads_through_vpc_endpoints[0].statement : statement
      if statement.sid == "DenySignedUploadsOutsideTheVpcEndpoints" && statement.effect == "Deny" &&
      statement.actions == toset(["s3:PutObject"]) &&
      statement.resources == toset(["arn:aws:s3:::signed-import-20261125120000000000000001/imports/*"]) &&
      length(statement.condition) == 2 &&
      anytrue([for c in statement.condition : c.test == "StringEquals" && c.variable == "s3:authType" && c.values == tolist(["REST-QUERY-STRING"])]) &&
      anytrue([for c in statement.condition : c.test == "StringNotEquals" && c.variable == "aws:SourceVpce" && c.values == tolist(var.upload_vpc_endpoint_ids)])
    ]) == 1
    error_message = "The bucket policy must deny signed-URL writes under key_prefix from outside the listed endpoints, and only those (the signer's own header-signed calls stay allowed)."
  }

  assert {
    condition     = data.aws_iam_policy_document.bucket[0].source_policy_documents == tolist([data.aws_iam_policy_document.uploads_through_vpc_endpoints[0].json])
    error_message = "The statement must be part of the bucket's policy."
  }
}

run "uploads_through_vpc_endpoints_alone_still_get_a_bucket_policy" {
  command = plan

  variables {
    attach_deny_insecure_transport_policy = false
    enforce_conditional_writes            = false
    upload_vpc_endpoint_ids               = ["vpce-0123456789abcdef0"]
  }

  assert {
    condition     = length(aws_s3_bucket_policy.this) == 1
    error_message = "The VPC endpoint statement alone needs the bucket policy."
  }
}

run "public_s3_endpoint_by_default" {
  command = plan

  assert {
    condition = (
      !contains(keys(one(aws_lambda_function.signer.environment).variables), "UPLOAD_ENDPOINT_URL") &&
      length(data.aws_iam_policy_document.uploads_through_vpc_endpoints) == 0
    )
    error_message = "Without the inputs the URLs name S3's regional endpoint and the bucket accepts uploads from anywhere."
  }
}

run "upload_endpoint_not_https" {
  command = plan

  variables {
    upload_endpoint_url = "http://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com"
  }

  expect_failures = [var.upload_endpoint_url]
}

run "upload_endpoint_with_a_path" {
  command = plan

  variables {
    upload_endpoint_url = "https://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com/imports"
  }

  expect_failures = [var.upload_endpoint_url]
}

run "upload_vpc_endpoints_on_an_existing_bucket" {
  command = plan

  variables {
    create_bucket           = false
    bucket_name             = "landing-bucket"
    upload_vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
  }

  expect_failures = [var.upload_vpc_endpoint_ids]
}

run "upload_endpoint_of_another_vpc_endpoint" {
  command = plan

  variables {
    upload_endpoint_url     = "https://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com"
    upload_vpc_endpoint_ids = ["vpce-fedcba98765432100"]
  }

  expect_failures = [var.upload_vpc_endpoint_ids]
}

run "a_callers_policy_with_a_list_of_statements" {
  command = plan

  variables {
    api_resource_policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*" },
        {
          Effect    = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*"
          Condition = { NotIpAddress = { "aws:VpcSourceIp" = ["10.20.0.0/24"] } }
        },
      ]
    })
  }

  assert {
    condition     = jsonencode(slice(jsondecode(output.openapi_document)["x-amazon-apigateway-policy"].Statement, 1, 3)) == jsonencode(jsondecode(var.api_resource_policy).Statement)
    error_message = "Every statement of the caller's list follows the module's deny, in order."
  }
}

run "upload_vpc_endpoint_id_malformed" {
  command = plan

  variables {
    upload_vpc_endpoint_ids = ["vpce-XYZ"]
  }

  expect_failures = [var.upload_vpc_endpoint_ids]
}

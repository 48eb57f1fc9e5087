# A custom domain: a regional domain name with TLS 1.2 (a private one for a private API), the
# stage mapped under base_path, an alias record when a zone is given, and import_url on the domain.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  domain_name     = "uploads.example.com"
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
}

run "the_domain_maps_the_stage_at_its_root" {
  command = plan

  assert {
    condition = (
      aws_api_gateway_domain_name.this[0].domain_name == "uploads.example.com" &&
      aws_api_gateway_domain_name.this[0].regional_certificate_arn == var.certificate_arn &&
      aws_api_gateway_domain_name.this[0].security_policy == "TLS_1_2" &&
      one(aws_api_gateway_domain_name.this[0].endpoint_configuration).types == tolist(["REGIONAL"])
    )
    error_message = "A regional domain name with the certificate and TLS 1.2."
  }

  assert {
    condition = (
      aws_api_gateway_base_path_mapping.this[0].stage_name == "v1" &&
      aws_api_gateway_base_path_mapping.this[0].base_path == null
    )
    error_message = "The stage is mapped at the domain's root."
  }

  assert {
    condition     = output.import_url == "https://uploads.example.com/import"
    error_message = "import_url is on the domain."
  }

  assert {
    condition = (
      output.domain_name_arn == aws_api_gateway_domain_name.this[0].arn &&
      length(aws_api_gateway_domain_name.private) == 0 &&
      length(aws_api_gateway_domain_name_access_association.this) == 0
    )
    error_message = "A regional API gets the regional domain name only, whose ARN is an output."
  }

  assert {
    condition     = length(aws_route53_record.this) == 0
    error_message = "No zone, no record."
  }
}

run "under_a_base_path_with_its_alias_record" {
  command = plan

  variables {
    base_path       = "uploads"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = aws_api_gateway_base_path_mapping.this[0].base_path == "uploads" && output.import_url == "https://uploads.example.com/uploads/import"
    error_message = "The stage is mapped under base_path, and import_url says so."
  }

  assert {
    condition = (
      aws_route53_record.this[0].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.this[0].name == "uploads.example.com" &&
      aws_route53_record.this[0].type == "A" &&
      one(aws_route53_record.this[0].alias).evaluate_target_health == false
    )
    error_message = "An alias A record of the domain in the given zone."
  }
}

run "no_domain_by_default" {
  command = plan

  variables {
    domain_name     = null
    certificate_arn = null
  }

  assert {
    condition = (
      length(aws_api_gateway_domain_name.this) == 0 &&
      length(aws_api_gateway_base_path_mapping.this) == 0 &&
      output.regional_domain_name == null &&
      output.domain_name_arn == null &&
      endswith(output.import_url, "/v1/import")
    )
    error_message = "Without domain_name, nothing of the domain and import_url on the stage."
  }
}

run "domain_without_certificate" {
  command = plan

  variables {
    certificate_arn = null
  }

  expect_failures = [var.certificate_arn]
}

run "certificate_without_domain" {
  command = plan

  variables {
    domain_name = null
  }

  expect_failures = [var.certificate_arn]
}

run "a_private_api_gets_a_private_domain_only_its_endpoints_invoke" {
  command = plan

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-1a2b3c4d", "vpce-0a1b2c3d4e5f67890"]
  }

  assert {
    condition = (
      length(aws_api_gateway_domain_name.this) == 0 &&
      aws_api_gateway_domain_name.private[0].domain_name == "uploads.example.com" &&
      aws_api_gateway_domain_name.private[0].certificate_arn == var.certificate_arn &&
      aws_api_gateway_domain_name.private[0].regional_certificate_arn == null &&
      aws_api_gateway_domain_name.private[0].security_policy == "TLS_1_2" &&
      one(aws_api_gateway_domain_name.private[0].endpoint_configuration).types == tolist(["PRIVATE"]) &&
      one(aws_api_gateway_domain_name.private[0].endpoint_configuration).ip_address_type == "dualstack"
    )
    error_message = "A private domain name (not a regional one) with the certificate, TLS 1.2 and dualstack, its only options."
  }

  assert {
    condition = jsonencode(jsondecode(aws_api_gateway_domain_name.private[0].policy).Statement) == jsonencode([
      { Sid = "AllowThroughTheVpcEndpoints", Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "*" },
      {
        Sid       = "DenyOutsideTheVpcEndpoints"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = ["vpce-1a2b3c4d", "vpce-0a1b2c3d4e5f67890"] } }
      },
    ])
    error_message = "The domain's own policy allows only the listed VPC endpoints."
  }

  assert {
    condition = (
      aws_api_gateway_domain_name_access_association.this[*].access_association_source == ["vpce-1a2b3c4d", "vpce-0a1b2c3d4e5f67890"] &&
      alltrue([
        for association in aws_api_gateway_domain_name_access_association.this :
        association.access_association_source_type == "VPCE" &&
        association.domain_name_arn == aws_api_gateway_domain_name.private[0].arn
      ])
    )
    error_message = "Each listed VPC endpoint is associated with the private domain name."
  }

  assert {
    condition = (
      aws_api_gateway_base_path_mapping.this[0].domain_name == "uploads.example.com" &&
      aws_api_gateway_base_path_mapping.this[0].domain_name_id == aws_api_gateway_domain_name.private[0].domain_name_id &&
      aws_api_gateway_base_path_mapping.this[0].stage_name == "v1"
    )
    error_message = "The stage is mapped on the private domain name, named by its id."
  }

  assert {
    condition = (
      output.import_url == "https://uploads.example.com/import" &&
      output.regional_domain_name == null &&
      output.domain_name_arn == aws_api_gateway_domain_name.private[0].arn &&
      length(aws_route53_record.this) == 0
    )
    error_message = "import_url on the domain, its ARN as an output, no regional name, no record without a zone."
  }
}

run "a_private_domain_resolves_to_the_first_endpoint" {
  command = plan

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-1a2b3c4d", "vpce-0a1b2c3d4e5f67890"]
    route53_zone_id  = "Z0PRIVATE0123456789AB"
    base_path        = "uploads"
  }

  override_data {
    target = data.aws_vpc_endpoint.domain_alias_target
    values = {
      dns_entry = [
        { dns_name = "vpce-1a2b3c4d-4e5f6a7b.execute-api.eu-west-1.vpce.amazonaws.com", hosted_zone_id = "Z1YSHQZHG15GKL" },
        { dns_name = "vpce-1a2b3c4d-4e5f6a7b-eu-west-1a.execute-api.eu-west-1.vpce.amazonaws.com", hosted_zone_id = "Z1YSHQZHG15GKL" },
      ]
    }
  }

  assert {
    condition     = data.aws_vpc_endpoint.domain_alias_target[0].id == "vpce-1a2b3c4d"
    error_message = "The alias target is the first listed endpoint."
  }

  assert {
    condition = (
      aws_route53_record.this[0].zone_id == "Z0PRIVATE0123456789AB" &&
      aws_route53_record.this[0].name == "uploads.example.com" &&
      aws_route53_record.this[0].type == "A" &&
      one(aws_route53_record.this[0].alias).name == "vpce-1a2b3c4d-4e5f6a7b.execute-api.eu-west-1.vpce.amazonaws.com" &&
      one(aws_route53_record.this[0].alias).zone_id == "Z1YSHQZHG15GKL"
    )
    error_message = "An alias A record of the domain to the endpoint's regional DNS name, in the given zone."
  }

  assert {
    condition     = output.import_url == "https://uploads.example.com/uploads/import" && aws_api_gateway_base_path_mapping.this[0].base_path == "uploads"
    error_message = "The stage is mapped under base_path on the private domain too."
  }
}

run "a_private_domain_takes_a_certificate_of_its_region" {
  command = plan

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-1a2b3c4d"]
    certificate_arn  = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  expect_failures = [aws_api_gateway_domain_name.private]
}

run "domain_not_a_dns_name" {
  command = plan

  variables {
    domain_name = "Uploads.Example.com"
  }

  expect_failures = [var.domain_name]
}

run "certificate_not_from_acm" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/uploads"
  }

  expect_failures = [var.certificate_arn]
}

run "zone_without_domain" {
  command = plan

  variables {
    domain_name     = null
    certificate_arn = null
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.route53_zone_id]
}

run "base_path_of_two_segments" {
  command = plan

  variables {
    base_path = "uploads/v1"
  }

  expect_failures = [var.base_path]
}

run "certificate_from_another_region" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  expect_failures = [aws_api_gateway_domain_name.this]
}

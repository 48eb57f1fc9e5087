# A custom domain: a regional domain name with TLS 1.2, the stage mapped under base_path, an
# alias record when a zone is given, and import_url on the domain.

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

run "domain_on_a_private_api" {
  command = plan

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-1a2b3c4d"]
  }

  expect_failures = [var.domain_name]
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

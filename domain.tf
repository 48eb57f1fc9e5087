################################################################################
# Custom domain (optional): the API at https://<domain_name>/<base_path>
################################################################################

locals {
  custom_domain = var.domain_name != null
}

resource "aws_api_gateway_domain_name" "this" {
  count = local.custom_domain ? 1 : 0

  domain_name              = var.domain_name
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = split(":", var.certificate_arn)[3] == local.region
      error_message = "certificate_arn must be a certificate in the API's region (${local.region}): a regional custom domain takes a regional certificate, not one from us-east-1 for CloudFront."
    }
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = local.custom_domain ? 1 : 0

  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
  base_path   = var.base_path == "" ? null : var.base_path
}

# The name resolves to API Gateway's regional domain name (an alias: no charge per query).
resource "aws_route53_record" "this" {
  count = local.custom_domain && var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = aws_api_gateway_domain_name.this[0].domain_name
  type    = "A"

  alias {
    name                   = aws_api_gateway_domain_name.this[0].regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this[0].regional_zone_id
    evaluate_target_health = false
  }
}

#!/usr/bin/env bash
# What `npm test` needs besides npm packages, on a machine that has the public internet (GitHub-hosted
# runners): moto_server (the AWS API emulator the adapter tests run against) and a filesystem mirror of
# the hashicorp/aws Terraform provider (test/terraform runs `terraform init` offline from it).
# Terraform itself comes from hashicorp/setup-terraform in the workflow. The machines this project is
# developed on have all three already; `.ci/run` checks them.
#
#   scripts/install-test-tools.sh <mirror directory>      (then export TF_PROVIDER_MIRROR=<mirror directory>)
set -euo pipefail
mirror="${1:?usage: scripts/install-test-tools.sh <mirror directory>}"
provider_version="5.100.0"

python3 -m pip install --quiet 'moto[server]==5.2.*'

platform="$(uname -s | tr '[:upper:]' '[:lower:]')_$(uname -m | sed -e 's/^x86_64$/amd64/' -e 's/^aarch64$/arm64/')"
target="$mirror/registry.terraform.io/hashicorp/aws/$provider_version/$platform"
if ! compgen -G "$target/terraform-provider-aws*" >/dev/null; then
  mkdir -p "$target"
  zip="terraform-provider-aws_${provider_version}_${platform}.zip"
  curl --fail --silent --show-error --location \
    "https://releases.hashicorp.com/terraform-provider-aws/$provider_version/$zip" -o "/tmp/$zip"
  curl --fail --silent --show-error --location \
    "https://releases.hashicorp.com/terraform-provider-aws/$provider_version/terraform-provider-aws_${provider_version}_SHA256SUMS" \
    -o /tmp/aws-provider-SHA256SUMS
  (cd /tmp && grep " $zip\$" aws-provider-SHA256SUMS | sha256sum --check --status)
  unzip -q -o "/tmp/$zip" -d "$target"
fi
echo "moto_server: $(command -v moto_server)"
echo "provider mirror: $mirror"

"""Local development stand-ins for the module's AWS pieces.

The Lambda runtime has boto3 but not awscrt, which this tooling uses for CRC-64/NVME. With
awscrt importable, botocore would sign (and presign) through CRT instead of its own SigV4 code,
so a signer run here would not sign as it does in Lambda: botocore's CRT use is switched off
before anything imports botocore (an explicit BOTO_DISABLE_CRT wins).
"""

import os
from pathlib import Path

os.environ.setdefault("BOTO_DISABLE_CRT", "true")

# The checkout this package is installed from (editable): the module, its examples, dist/.
REPOSITORY = Path(__file__).resolve().parents[3]

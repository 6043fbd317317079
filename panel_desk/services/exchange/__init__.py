"""Files that carry work between the hub and reviewers' laptops, signed so nothing is lost
or forged on the way: reviewer packets, review returns (and the container they share)."""

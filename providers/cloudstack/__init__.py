"""The cloudstack provider (Apache CloudStack): spec rules only in this build."""

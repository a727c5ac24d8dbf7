"""The nutanix provider (Nutanix Prism Central): spec rules only in this build."""

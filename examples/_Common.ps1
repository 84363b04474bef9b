# What every example script shares; each dot-sources it first: . (Join-Path $PSScriptRoot '_Common.ps1')
#  - stops at the first error;
#  - imports the built module: the one in $env:MLPTOOLS_MODULE_PATH (build.ps1 and the tests set it), else the newest
#    build under output/;
#  - defines Show-Example, which prints an example as if typed at a prompt and then runs it.

$ErrorActionPreference = 'Stop'

$modulePath = $env:MLPTOOLS_MODULE_PATH
if (-not $modulePath) {
    $modulePath = Get-ChildItem -Path (Join-Path $PSScriptRoot '../output/MlpTools/*/MlpTools.psd1') -ErrorAction Ignore |
        Sort-Object { [version]$_.Directory.Name } | Select-Object -Last 1 -ExpandProperty FullName
}
if (-not $modulePath) { throw "MlpTools is not built yet: run 'dotnet pwsh ./build.ps1' first." }
Import-Module $modulePath

# Where the tests' private SSH server is up (tools/Invoke-Pester.ps1 starts it and says how to reach it in
# MLPTOOLS_TEST_SSH_*), New-PSSession to 127.0.0.1 goes to it: its port, user, key and known hosts become New-PSSession's
# defaults. Elsewhere nothing changes, and a session to 127.0.0.1 needs SSH remoting set up on this machine.
if ($env:MLPTOOLS_TEST_SSH_PORT) {
    $global:PSDefaultParameterValues['New-PSSession:Port'] = [int]$env:MLPTOOLS_TEST_SSH_PORT
    $global:PSDefaultParameterValues['New-PSSession:UserName'] = $env:MLPTOOLS_TEST_SSH_USER
    $global:PSDefaultParameterValues['New-PSSession:KeyFilePath'] = $env:MLPTOOLS_TEST_SSH_KEY
    $global:PSDefaultParameterValues['New-PSSession:Options'] = $env:MLPTOOLS_TEST_SSH_OPTIONS | ConvertFrom-Json -AsHashtable
}

function Show-Example {
    <#
    Prints an example's code as if typed at a prompt, then runs it in a scope of its own and shows its
    output. Every example here is also in the help of the cmdlet it shows (Get-Help <cmdlet> -Examples).
    #>
    param([string] $Title, [scriptblock] $Example)
    $lines = @($Example.ToString() -split '\r?\n' | Where-Object { $_.Trim() })
    $indent = ($lines | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
    Write-Host "`n# $Title" -ForegroundColor Green
    for ($i = 0; $i -lt $lines.Count; $i++) {
        Write-Host ($(if ($i -eq 0) { 'PS> ' } else { '>> ' }) + $lines[$i].Substring($indent)) -ForegroundColor Cyan
    }
    & $Example | Out-Host
}

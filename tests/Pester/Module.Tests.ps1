BeforeAll {
    if (-not $env:MLPTOOLS_MODULE_PATH) {
        throw 'MLPTOOLS_MODULE_PATH is not set: run the tests through ./build.ps1 -Task Test or tools/Invoke-Pester.ps1.'
    }
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = $env:MLPTOOLS_MODULE_PATH
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $ModulePath
    $script:Module = Import-Module $ModulePath -Force -PassThru
}

Describe 'The MlpTools module' {
    It 'has a valid manifest' {
        { Test-ModuleManifest -Path $ModulePath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $exported = @($Module.ExportedCmdlets.Keys | Sort-Object) -join ', '
        $exported | Should -Be (@($Manifest.CmdletsToExport | Sort-Object) -join ', ')
    }

    It 'exports no functions, variables or aliases' {
        $Module.ExportedFunctions.Count | Should -Be 0
        $Module.ExportedVariables.Count | Should -Be 0
        $Module.ExportedAliases.Count | Should -Be 0
    }

    It 'imports in a fresh pwsh -NoProfile' {
        $result = Invoke-InFreshPwsh { (Get-Module MlpTools).Version.ToString() }
        $result.StdErr | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be $Manifest.ModuleVersion
    }
}

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

    It 'installs with build.ps1 -Task Install, after which a fresh pwsh loads it by name on first use' {
        $folder = Join-Path $TestDrive 'modules'
        $pwsh = @(Get-PwshCommand)
        $build = Join-Path $PSScriptRoot '../../build.ps1'
        $said = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $build -Task Install -ModulePath $folder 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $said
        $version = $Manifest.ModuleVersion
        Test-Path -LiteralPath (Join-Path $folder "MlpTools/$version/MlpTools.psd1") | Should -BeTrue
        $said | Should -Match "Installed MlpTools $([regex]::Escape($version))"
        # No Import-Module: the first cmdlet loads the module from the folder on PSModulePath.
        $result = Invoke-InFreshPwsh -NoModule {
            param($folder)
            $env:PSModulePath = $folder + [IO.Path]::PathSeparator + $env:PSModulePath
            (Import-Dataset -Name Spiral -Seed 1).Count
            (Get-Module MlpTools).ModuleBase
        } -ArgumentList $folder
        $result.ExitCode | Should -Be 0
        $result.Output[0] | Should -Be 300
        $result.Output[1] | Should -BeLike "$folder*"
    }

    It 'imports in a fresh pwsh -NoProfile' {
        $result = Invoke-InFreshPwsh { (Get-Module MlpTools).Version.ToString() }
        $result.StdErr | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be $Manifest.ModuleVersion
    }

    It 'has an about_MlpTools topic with the derivation and how to read the diagnostics, naming only cmdlets it exports' {
        $result = Invoke-InFreshPwsh { Get-Help about_MlpTools | Out-String -Width 120 }
        $result.ExitCode | Should -Be 0
        $text = $result.Output -join "`n"
        $text | Should -Match 'lambda / \(2m\)'
        $text | Should -Match 'm is the number of samples the loss is taken over'
        $text | Should -Match 'UpdateRatio'
        $text | Should -Match 'DeadUnitShare'
        $named = [regex]::Matches($text, '\b(?:Import|Export|New|Invoke|Test|Get|Show|Split|ConvertTo)-(?:Mlp|Dataset|Training)\w*') | ForEach-Object Value | Sort-Object -Unique
        $exported = (Get-Command -Module MlpTools).Name
        @($named | Where-Object { $_ -notin $exported }) | Should -BeNullOrEmpty
    }
}
